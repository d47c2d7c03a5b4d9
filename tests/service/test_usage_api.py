"""Usage through the app: counts of real requests; admin sees all organisations, report keys their own."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from mediamatch import cli
from mediamatch.errors import InvalidPeriod
from mediamatch.samples import encode, synthetic_photo
from mediamatch.service.settings import Settings
from mediamatch.store.accounts import AccountStore, Environment
from tests.service.conftest import Service

HIT = encode(synthetic_photo(1), "PNG")
MISS = encode(synthetic_photo(2), "PNG")


def _items(*images: bytes) -> dict[str, object]:
    return {"items": [{"image": base64.b64encode(i).decode()} for i in images]}


def test_usage_counts_images_checked_and_matched(service: Service) -> None:
    client = service.client
    assert (
        client.post("/v1/match", json=_items(HIT, MISS, HIT), headers=service.headers("matcher")).status_code
        == 200
    )
    assert client.post("/v1/match", json=_items(MISS), headers=service.headers("matcher")).status_code == 200
    assert client.post("/v1/match", json=_items(HIT), headers=service.headers("rival")).status_code == 200
    assert client.post("/v1/hash", json=_items(HIT), headers=service.headers("hasher")).status_code == 200
    today = datetime.now(UTC).date().isoformat()
    answer = client.get(f"/v1/usage?from={today}&to={today}", headers=service.headers("admin"))
    assert answer.status_code == 200
    rows = [
        (r["organisation"], r["bank"], r["images_checked"], r["images_matched"])
        for r in answer.json()["rows"]
    ]
    assert rows == [
        ("acme", None, 4, 2),
        ("acme", "SHARED", None, 2),
        ("rival", None, 1, 1),
        ("rival", "SHARED", None, 1),
    ]
    accounts = AccountStore(service.store, Settings().key_pepper.encode())
    report_key = accounts.create_key("rival", "usage", ["report"], Environment.LIVE)[1]
    own = client.get(f"/v1/usage?from={today}&to={today}", headers={"Authorization": f"Bearer {report_key}"})
    assert own.json()["scope"] == "rival"
    assert [r["organisation"] for r in own.json()["rows"]] == ["rival", "rival"]
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    assert (
        client.get(f"/v1/usage?from={yesterday}&to={yesterday}", headers=service.headers("admin")).json()[
            "rows"
        ]
        == []
    )
    result = CliRunner().invoke(
        cli.app, ["--db", service.store.url, "usage", "--from", today, "--to", today, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == answer.json()["rows"]


def test_usage_refuses_bad_dates_and_keys_without_the_report_scope(service: Service) -> None:
    admin = service.headers("admin")
    bad = service.client.get("/v1/usage?from=2026-02-30&to=2026-03-01", headers=admin)
    assert bad.status_code == 422
    assert bad.json()["error"]["kind"] == "InvalidPeriod"
    assert "from must be a date" in bad.json()["error"]["message"]
    backwards = service.client.get("/v1/usage?from=2026-03-02&to=2026-03-01", headers=admin)
    assert backwards.status_code == 422
    assert service.client.get("/v1/usage?from=2026-03-01", headers=admin).status_code == 422
    assert (
        service.client.get(
            "/v1/usage?from=2026-03-01&to=2026-03-01", headers=service.headers("matcher")
        ).status_code
        == 403
    )


def test_the_audit_log_is_read_back_by_admin_keys_only_and_paged(service: Service) -> None:
    service.wait_ready()
    body = encode(synthetic_photo(9), "PNG")
    sent = [
        service.client.post("/v1/match", content=body, headers=service.headers("matcher")).json()[
            "tracking_id"
        ]
        for _ in range(3)
    ]
    admin = service.headers("admin")
    assert service.client.get("/v1/audit", headers=service.headers("matcher")).status_code == 403
    first = service.client.get("/v1/audit", params={"limit": 2, "organisation": "acme"}, headers=admin).json()
    assert len(first["records"]) == 2
    assert first["next"] is not None
    rest = service.client.get(
        "/v1/audit", params={"after": first["next"], "organisation": "acme"}, headers=admin
    )
    tracked = [r["tracking_id"] for r in first["records"] + rest.json()["records"]]
    assert set(sent) <= set(tracked)
    one = service.client.get("/v1/audit", params={"tracking_id": sent[1]}, headers=admin).json()["records"]
    assert [(r["tracking_id"], r["endpoint"], r["organisation"]) for r in one] == [
        (sent[1], "POST /v1/match", "acme")
    ]
    bad = service.client.get("/v1/audit", params={"since": "yesterday"}, headers=admin)
    assert bad.status_code == 422
    assert bad.json()["error"]["kind"] == "InvalidPeriod"


def test_mediamatch_audit_prints_json_lines_and_the_next_cursor(service: Service) -> None:
    service.wait_ready()
    body = encode(synthetic_photo(9), "PNG")
    for _ in range(3):
        service.client.post("/v1/match", content=body, headers=service.headers("matcher"))
    service.client.get("/v1/audit", headers=service.headers("admin"))  # flushes this process's records
    url = service.store.url
    runner = CliRunner()
    page = runner.invoke(cli.app, ["--db", url, "audit", "--org", "acme", "--limit", "2"])
    assert page.exit_code == 0, page.output
    lines = [json.loads(line) for line in page.stdout.splitlines()]
    assert len(lines) == 2
    assert all(line["organisation"] == "acme" for line in lines)
    assert f"--after {lines[-1]['id']}" in page.stderr
    refused = runner.invoke(cli.app, ["--db", url, "audit", "--since", "not a time"])
    assert isinstance(refused.exception, InvalidPeriod)  # main() prints it as one line and exits 2
    assert "ISO 8601" in str(refused.exception)
