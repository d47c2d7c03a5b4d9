from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from mediamatch import demo


def test_demo_hashes_samples_and_shows_matches(tmp_path: Path) -> None:
    output = io.StringIO()
    demo.run(tmp_path, Console(file=output, width=200))
    text = output.getvalue()
    assert len(list(tmp_path.glob("sample-*.png"))) == len(demo.SAMPLES)
    lines = {line.split("│")[1].strip(): line for line in text.splitlines() if line.count("│") > 2}
    assert " match " in lines["JPEG quality 30"]
    assert "no match" in lines["unrelated image"]
