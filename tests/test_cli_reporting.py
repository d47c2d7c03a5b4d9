"""``webhooks``, ``bank quarantine`` and ``usage`` commands, in process on a temporary SQLite database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mediamatch import cli
from mediamatch.algorithms import PdqAlgorithm
from mediamatch.reporting.feedback import give_feedback
from mediamatch.reporting.webhooks import RetryPolicy, WebhookDispatcher
from mediamatch.samples import synthetic_photo
from mediamatch.store import NewEntry, Store
from mediamatch.store.accounts import AccountStore, AuditRecord
from mediamatch.store.feedback import FeedbackStore

RUNNER = CliRunner()
PDQ = PdqAlgorithm()


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.sqlite3'}"


def run(url: str, *args: str) -> str:
    result = RUNNER.invoke(cli.app, ["--db", url, *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def _refuse_all(destination: str) -> None:
    raise OSError(f"refused {destination}")


def test_webhook_commands_manage_endpoints_and_redeliver_failures(url: str) -> None:
    run(url, "org", "create", "acme")
    run(url, "org", "create", "rival")
    secret = run(
        url,
        "webhooks",
        "create",
        "--org",
        "acme",
        "--url",
        "https://hooks.example/in",
        "--event",
        "match.created",
    )
    assert secret.startswith("whsec_")
    listing = run(url, "webhooks", "list")
    assert listing.split("\t")[1:] == ["acme", "enabled", "match.created", "https://hooks.example/in\n"]
    assert secret.strip() not in listing
    store = Store(url)
    organisation = AccountStore(store, b"x").organisation("acme").id
    dispatcher = WebhookDispatcher(store, _refuse_all, retry=RetryPolicy(max_attempts=1))
    dispatcher.emit(organisation, "match.created", {"tracking_id": "t"})
    assert dispatcher.deliver_due(datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert run(url, "webhooks", "deliveries", "--org", "rival") == ""
    [line] = run(url, "webhooks", "deliveries", "--status", "failed", "--org", "acme").splitlines()
    delivery_id = line.split("\t")[0]
    assert line.split("\t")[1:4] == ["failed", "1", "match.created"]
    assert "OSError: refused https://hooks.example/in" in run(url, "webhooks", "attempts", delivery_id)
    assert "pending again" in run(url, "webhooks", "redeliver", delivery_id)
    assert run(url, "webhooks", "deliveries", "--status", "failed") == ""
    endpoint_id = listing.split("\t")[0]
    assert run(url, "webhooks", "delete", endpoint_id) == f"deleted webhook {endpoint_id}\n"
    assert run(url, "webhooks", "list") == ""


def test_quarantine_commands_list_reinstate_and_suppress(url: str) -> None:
    store = Store(url)
    store.create_bank("KNOWN")
    store.create_bank("FALSE_POSITIVES", suppression=True)
    store.add_entries(
        "KNOWN", [NewEntry("pdq", PDQ.hash_pixels(synthetic_photo(n)).value.data) for n in (1, 2)]
    )
    first, second = (e.id for e in store.entries("KNOWN"))
    accounts = AccountStore(store, b"x")
    feedback = FeedbackStore(store)
    for name in ("acme", "rival"):
        org = accounts.create_organisation(name).id
        accounts.audit(AuditRecord(name, None, org, "POST /v1/match", 2, (first, second), "200", 1.0))
        for entry in (first, second):
            give_feedback(feedback, org, name, entry, "dispute")
    listing = run(url, "bank", "quarantine", "list", "--bank", "KNOWN").splitlines()
    assert [line.split("\t")[:4] for line in listing] == [
        [str(first), "KNOWN", "pdq", "2"],
        [str(second), "KNOWN", "pdq", "2"],
    ]
    assert run(url, "bank", "quarantine", "reinstate", str(first)) == f"reinstated entry {first}\n"
    assert "to FALSE_POSITIVES as entry" in run(
        url, "bank", "quarantine", "suppress", str(second), "--bank", "FALSE_POSITIVES"
    )
    assert run(url, "bank", "quarantine", "list") == ""
    assert store.count_entries("FALSE_POSITIVES") == 1


def test_usage_command_writes_csv_and_refuses_bad_dates(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store(url)
    accounts = AccountStore(store, b"x")
    org = accounts.create_organisation("acme").id
    accounts.audit(AuditRecord("t", None, org, "POST /v1/match", 3, (), "200", 1.0))
    today = datetime.now(UTC).date().isoformat()
    assert run(url, "usage", "--from", today, "--to", today).splitlines() == [
        "day,organisation,bank,images_checked,images_matched",
        f"{today},acme,,3,0",
    ]
    monkeypatch.setattr(
        "sys.argv", ["mediamatch", "--db", url, "usage", "--from", "2026-01-01", "--to", "soon"]
    )
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == cli.EXIT_UNUSABLE_INPUT
    assert capsys.readouterr().err == "mediamatch: error: --to must be a date like 2026-01-31, not 'soon'\n"
