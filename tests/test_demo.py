from __future__ import annotations

import shlex
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mediamatch import demo
from mediamatch.service.app import create_app


def test_demo_prepares_a_key_and_a_curl_line_that_hits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    prepared = demo.prepare(Path("demo"))  # relative, as make demo names it
    words = shlex.split(prepared.curl)
    authorization = words[words.index("-H") + 1]
    assert authorization == f"Authorization: Bearer {prepared.key}"
    assert words[-1] == "http://127.0.0.1:8000/v1/match"
    image = Path(words[words.index("--data-binary") + 1].removeprefix("@"))
    assert image.is_absolute()  # the curl line works from any folder
    with TestClient(create_app(prepared.settings)) as client:
        deadline = time.monotonic() + 30
        while client.get("/status/ready").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        response = client.post(
            "/v1/match",
            content=image.read_bytes(),
            headers={"Authorization": f"Bearer {prepared.key}", "Content-Type": "image/png"},
        )
    matches = response.json()["results"][0]["matches"]
    assert {m["bank"] for m in matches} == {"TEST"}
    assert {m["external_id"] for m in matches} == {"test-image-1"}
    again = demo.prepare(tmp_path / "demo")
    assert again.key != prepared.key
