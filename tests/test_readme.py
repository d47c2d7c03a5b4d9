"""The README's library example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mediamatch.samples import encode, synthetic_photo

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_library_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "photo.jpg").write_bytes(encode(synthetic_photo(5), "JPEG"))
    monkeypatch.chdir(tmp_path)
    example = next(block for block in python_blocks() if "decode_image" in block)
    exec(compile(example, str(README), "exec"), {})
    first_line = capsys.readouterr().out.splitlines()[0]
    assert re.fullmatch(r"pdq:[0-9a-f]{64} 100", first_line)


def test_readme_opens_with_the_two_commands() -> None:
    head = README.read_text().split("```")[1]
    assert "make demo" in head
    assert "make test" in head
