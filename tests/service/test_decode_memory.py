"""Sixteen uploads of small files that declare huge pictures, sent at once to a real server: its
peak memory stays within the decode budget, every answer is a result or a 503 with Retry-After,
and a picture over the pixel cap is refused from its header."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediamatch.service.settings import DEVELOPMENT_PEPPER
from mediamatch.store import Store
from mediamatch.store.accounts import AccountStore, Environment
from tests.hostile import png_declaring
from tests.service.live_server import Client, serving, wait

BUDGET = 1024**3
SIDE = 6000  # RGBA: about 0.5 GB decoded, from a PNG of some 90 KB
MARGIN = 600 * 1024**2
"""What the rest of a request may add beside the budget: hashing the RGB array, and the upload."""


@pytest.fixture(scope="module")
def huge_png() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((SIDE, SIDE, 4), dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def _peak_and_current(pid: int) -> tuple[int, int]:
    """The process's peak and current resident memory, in bytes (Linux)."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmHWM"].split()[0]) * 1024, int(fields["VmRSS"].split()[0]) * 1024


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads memory from Linux's /proc")
def test_sixteen_huge_pictures_at_once_stay_within_the_decode_budget(tmp_path: Path, huge_png: bytes) -> None:
    url = f"sqlite:///{tmp_path / 'service.sqlite3'}"
    store = Store(url)
    accounts = AccountStore(store, DEVELOPMENT_PEPPER.encode())
    accounts.create_organisation("acme")
    key = accounts.create_key("acme", "m", ["hash"], Environment.LIVE)[1]
    store.close()
    settings = {
        "decode_budget_bytes": str(BUDGET),
        "decode_wait_seconds": "60",
        "max_item_pixels": str(SIDE * SIDE),
    }
    with serving(url, tmp_path / "serve.log", workers=1, **settings) as (port, pid):
        client = Client(port, key)
        wait(client.ready, 60, "the service never became ready")
        client.call("POST", "/v1/hash?algorithm=pdq", huge_png)  # warm: code and libraries loaded
        _, before = _peak_and_current(pid)
        with ThreadPoolExecutor(16) as pool:
            answers = list(
                pool.map(
                    lambda _: client.call("POST", "/v1/hash?algorithm=pdq&algorithm=gradgrid144", huge_png),
                    range(16),
                )
            )
        peak, _ = _peak_and_current(pid)
        over_cap = client.call("POST", "/v1/hash?algorithm=pdq", png_declaring(SIDE + 1, SIDE))
    for status, headers, body in answers:
        assert status in (200, 503), body[:300]
        if status == 503:
            assert headers["retry-after"]
    assert sum(status == 200 for status, _, _ in answers) >= 8  # most wait their turn and are served
    assert peak - before <= BUDGET + MARGIN, f"peak {peak / 2**20:.0f} MiB from {before / 2**20:.0f} MiB"
    assert over_cap[0] == 413
