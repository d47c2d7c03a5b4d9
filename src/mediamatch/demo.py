"""``make demo``: the matching service on SQLite with the Test bank, a demo key and a curl line that hits.

Everything lives in one folder (``./demo-data`` by default): the SQLite database and a test
image. Each run creates a fresh ``test`` key, prints it once with a ``curl`` command that
matches the test image, then serves on http://127.0.0.1:8000 until interrupted.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from mediamatch.algorithms import default_registry
from mediamatch.engine.testbank import ensure_test_bank, sample_image_png
from mediamatch.errors import AccountError
from mediamatch.service.settings import Settings
from mediamatch.store import Store
from mediamatch.store.accounts import AccountStore, Environment

DEMO_ORGANISATION = "demo"


@dataclass(frozen=True, slots=True)
class Demo:
    settings: Settings
    key: str
    image: Path
    curl: str


def prepare(folder: Path, port: int = 8000) -> Demo:
    """Database with the Test bank, a new test key, a test image on disk, and the curl line."""
    folder.mkdir(parents=True, exist_ok=True)
    settings = Settings(db=f"sqlite:///{folder.resolve() / 'demo.sqlite3'}", port=port)
    store = Store(settings.db)
    ensure_test_bank(store, default_registry())
    accounts = AccountStore(store, settings.key_pepper.encode())
    with contextlib.suppress(AccountError):
        accounts.create_organisation(DEMO_ORGANISATION)
    _, key = accounts.create_key(
        DEMO_ORGANISATION, "make demo", ["hash", "match", "match:distance"], Environment.TEST
    )
    store.close()
    image = folder / "test-image-1.png"
    image.write_bytes(sample_image_png(1))
    url = f"http://{settings.host}:{settings.port}/v1/match"
    curl = (
        f"curl -s -H {shlex.quote('Authorization: Bearer ' + key)} -H 'Content-Type: image/png' "
        f"--data-binary @{shlex.quote(str(image.resolve()))} {url}"
    )
    return Demo(settings, key, image, curl)


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("demo-data")
    demo = prepare(folder, int(os.environ.get("MEDIAMATCH_PORT", "8000")))
    print(f"mediamatch demo: database {demo.settings.db}")
    print(f"test API key (shown once): {demo.key}")
    print("In another terminal, this produces a hit against the built-in Test bank:\n")
    print(f"  {demo.curl}\n")
    print(f"API docs: http://{demo.settings.host}:{demo.settings.port}/docs  (Ctrl-C stops the service)")
    os.environ["MEDIAMATCH_DB"] = demo.settings.db or ""
    uvicorn.run(
        "mediamatch.service.app:create_app_from_environment",
        factory=True,
        host=demo.settings.host,
        port=demo.settings.port,
    )


if __name__ == "__main__":
    main()
