"""A client generated from ``/openapi.json`` by a generator from PyPI (``openapi-python-client``)
matches and hashes an image, and matches through the PhotoDNA route, against a real server.

The generator pins an older Typer than ours, so it cannot share the project's environment:
``make test`` installs it into ``.venv-openapi`` (or set ``MEDIAMATCH_OPENAPI_GENERATOR`` to its
executable). Without it the test is skipped with that reason. The generated package itself runs
in the project's environment (it needs httpx and attrs, which the dev extra brings).
"""

from __future__ import annotations

import base64
import importlib
import io
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from mediamatch.samples import encode, synthetic_photo
from mediamatch.service.settings import Settings
from mediamatch.store import Classification, NewEntry, Store
from mediamatch.store.accounts import AccountStore, Environment
from tests.service.conftest import PDQ
from tests.service.live_server import Client, serving, wait

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "generated_mediamatch_client"


def _generator() -> Path:
    named = os.environ.get("MEDIAMATCH_OPENAPI_GENERATOR")
    found = Path(named).resolve() if named else ROOT / ".venv-openapi" / "bin" / "openapi-python-client"
    if not found.is_file():
        pytest.skip(f"openapi-python-client not found at {found}: `make test` installs it into .venv-openapi")
    return found


@pytest.fixture
def generated(tmp_path: Path) -> Iterator[tuple[ModuleType, dict[str, Any], int, str]]:
    """The generated package, the schema it came from, the server's port and a matching key."""
    generator = _generator()
    url = f"sqlite:///{tmp_path / 'service.sqlite3'}"
    store = Store(url)
    accounts = AccountStore(store, Settings().key_pepper.encode())
    accounts.create_organisation("acme")
    _, key = accounts.create_key("acme", "generated", ["match", "match:distance", "hash"], Environment.LIVE)
    store.create_bank("KNOWN")
    known = PDQ.hash_pixels(synthetic_photo(4)).value.data
    store.add_entries("KNOWN", [NewEntry("pdq", known, classification=Classification.A1, external_id="k4")])
    store.close()
    with serving(url, tmp_path / "serve.log", 1) as (port, _):
        client = Client(port, key)
        wait(client.ready, 60, "the server never became ready")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=30) as answer:
            spec = json.load(answer)
        (tmp_path / "openapi.json").write_text(json.dumps(spec))
        made = subprocess.run(
            [
                *(str(generator), "generate", "--path", str(tmp_path / "openapi.json")),
                *("--meta", "none", "--output-path", str(tmp_path / PACKAGE)),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )
        assert made.returncode == 0, made.stdout + made.stderr
        _mend_unimported_unset(tmp_path / PACKAGE)
        sys.path.insert(0, str(tmp_path))
        try:
            yield importlib.import_module(PACKAGE), spec, port, key
        finally:
            sys.path.remove(str(tmp_path))
            for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
                del sys.modules[name]


def _mend_unimported_unset(package: Path) -> None:
    """Work around openapi-python-client's open bug #1451 (fix proposed in #1478): for a required
    request body with several content types it annotates ``body`` with ``| Unset`` without
    importing ``Unset``, unless another parameter of the route imports it. The mend adds that
    import and nothing else; remove it once a released generator no longer needs it."""
    for module in (package / "api").rglob("*.py"):
        text = module.read_text()
        if "| Unset" in text and "import UNSET, Unset" not in text:
            module.write_text(
                text.replace(
                    "from ...types import Response, UNSET", "from ...types import Response, UNSET, Unset", 1
                )
            )


def _operation(package: ModuleType, spec: dict[str, Any], path: str) -> Any:
    """The generated module of ``POST path``: the one under its tag's folder that calls that URL."""
    tag = spec["paths"][path]["post"]["tags"][0].replace("-", "_")
    folder = Path(package.__file__ or "").parent / "api" / tag
    (module,) = [m for m in folder.glob("*.py") if f'"url": "{path}"' in m.read_text()]
    return importlib.import_module(f"{package.__name__}.api.{tag}.{module.stem}")


def test_a_generated_client_matches_and_hashes_an_image(
    generated: tuple[ModuleType, dict[str, Any], int, str],
) -> None:
    package, spec, port, key = generated
    client = package.AuthenticatedClient(base_url=f"http://127.0.0.1:{port}", token=key, timeout=60)
    with client:
        _match_hash_and_photodna(package, spec, client)


def _match_hash_and_photodna(package: ModuleType, spec: dict[str, Any], client: Any) -> None:
    types = importlib.import_module(f"{package.__name__}.types")
    image = encode(synthetic_photo(4), "PNG")

    def upload() -> Any:
        return types.File(
            payload=io.BytesIO(image), file_name="upload.png", mime_type="application/octet-stream"
        )

    matched = _operation(package, spec, "/v1/match").sync_detailed(client=client, body=upload())
    assert matched.status_code == 200, matched.content
    (result,) = matched.parsed.results
    assert [(m.bank, m.external_id, m.classification, m.algorithm) for m in result.matches] == [
        ("KNOWN", "k4", "A1", "pdq")
    ]
    assert result.matches[0].distance == 0
    hashed = _operation(package, spec, "/v1/hash").sync_detailed(client=client, body=upload())
    assert hashed.status_code == 200, hashed.content
    assert hashed.parsed.results[0].hashes["pdq"].hash_ == PDQ.format(
        PDQ.hash_pixels(synthetic_photo(4)).value
    )

    photodna = _operation(package, spec, "/photodna/v1.0/Match")
    body_type = next(
        getattr(importlib.import_module(f"{package.__name__}.models"), name)
        for name in dir(importlib.import_module(f"{package.__name__}.models"))
        if name.startswith("MatchPhotodna") and name.endswith("JsonBody")
    )
    inline = body_type.from_dict({"DataRepresentation": "Inline", "Value": base64.b64encode(image).decode()})
    answered = photodna.sync_detailed(client=client, body=inline, content_id="upload-1")
    assert answered.status_code == 200, answered.content
    assert (answered.parsed.status.code, answered.parsed.is_match, answered.parsed.content_id) == (
        3000,
        True,
        "upload-1",
    )
    assert answered.parsed.match_details.match_flags[0].source == "KNOWN"
