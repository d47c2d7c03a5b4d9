"""The HTML case report protects the examiner: veiled thumbnails, representatives only, no full size."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from mediamatch import cli
from mediamatch.scan.thumbnails import THUMBNAIL_SIDE, VEILED_SIDE
from tests.scan import chromium

RUNNER = CliRunner()


@pytest.fixture
def report(evidence: Path, tmp_path: Path) -> Path:
    args = ["--db", f"sqlite:///{tmp_path / 'banks.sqlite3'}", "scan", str(evidence)]
    result = RUNNER.invoke(cli.app, [*args, "--case", str(tmp_path / "case"), "--no-progress"])
    assert result.exit_code == 0, result.output
    return tmp_path / "case" / "report.html"


def _image(uri: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))


def test_only_representatives_have_thumbnails_and_they_start_veiled(report: Path) -> None:
    page = report.read_text()
    case = json.loads((report.parent / "case.json").read_text())
    image_stacks = {s["stack"] for s in case["stacks"] if s["representative"].endswith((".jpg", ".png"))}
    shown = re.findall(r'<img data-stack="(\d+)" data-veiled="([^"]+)" src="([^"]+)"', page)
    assert {int(stack) for stack, _, _ in shown} == image_stacks
    for _, veiled, source in shown:
        assert source == veiled
        tiny = _image(source)
        assert tiny.mode == "L"
        assert max(tiny.size) <= VEILED_SIDE


def test_no_full_size_image_is_embedded(report: Path) -> None:
    page = report.read_text()
    clear = json.loads(re.search(r'id="clear-thumbnails">(.*?)</script>', page).group(1))  # type: ignore[union-attr]
    assert clear
    for uri in clear.values():
        assert max(_image(uri).size) <= THUMBNAIL_SIDE
    assert len(re.findall(r"data:image/", page)) == 2 * len(re.findall(r"<img ", page)) + len(clear)


def test_the_report_loads_nothing_from_outside(report: Path) -> None:
    page = report.read_text()
    assert "default-src 'none'" in page
    assert not re.search(r'(src|href)="(https?:|//)', page)


BLUR = "Array.from(document.querySelectorAll('figure.thumb img')).map(i => getComputedStyle(i).filter)"
SOURCES = "Array.from(document.querySelectorAll('figure.thumb img')).map(i => i.src)"


@pytest.mark.skipif(
    not chromium.CHROMIUM.is_file(), reason="Chromium is not installed (make test installs it)"
)
def test_in_chromium_thumbnails_are_blurred_and_a_click_reveals_exactly_one(report: Path) -> None:
    with chromium.Browser() as browser:
        browser.open(report)
        filters = browser.evaluate(BLUR)
        assert len(filters) >= 3
        assert all("blur(" in f and "grayscale(1)" in f for f in filters)
        veiled = browser.evaluate(SOURCES)

        browser.click("figure.thumb button.reveal", 1)
        filters = browser.evaluate(BLUR)
        assert [f == "none" for f in filters] == [i == 1 for i in range(len(filters))]
        assert browser.evaluate(SOURCES)[1] != veiled[1]
        assert max(browser.evaluate("document.querySelectorAll('img.revealed')[0].naturalWidth"), 0) > 8

        browser.click("figure.thumb button.reveal", 2)
        filters = browser.evaluate(BLUR)
        assert [f == "none" for f in filters] == [i == 2 for i in range(len(filters))]
        assert browser.evaluate(SOURCES)[1] == veiled[1]

        browser.evaluate("document.querySelectorAll('figure.thumb button.reveal')[0].click()")
        assert [f == "none" for f in browser.evaluate(BLUR)] == [i == 2 for i in range(len(filters))]

        browser.click("figure.thumb button.reveal", 2)
        assert all("blur(" in f for f in browser.evaluate(BLUR))
