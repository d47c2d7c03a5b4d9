from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mediamatch.errors import AccountError, AuthenticationFailed, PermissionDenied
from mediamatch.store import Store
from mediamatch.store.accounts import AccountStore, AuditRecord, Environment


@pytest.fixture
def accounts(store: Store) -> AccountStore:
    return AccountStore(store, pepper=b"test pepper")


def test_keys_are_shown_once_and_stored_only_as_salted_hashes(accounts: AccountStore, store: Store) -> None:
    accounts.create_organisation("acme")
    key, token = accounts.create_key("acme", "upload pipeline", ["hash", "match"], Environment.LIVE)
    assert token.startswith(f"mm_live_{key.key_id}_")
    assert accounts.verify(token) == key
    assert key.scopes == {"hash", "match"}
    assert key.organisation == "acme"
    secret = token.split("_", 3)[3]  # the secret itself may hold underscores
    with store.engine.connect() as connection:
        dumped = "".join(str(row) for row in connection.exec_driver_sql("SELECT * FROM api_keys"))
    assert secret not in dumped


def test_a_secret_holding_underscores_and_dashes_verifies(
    accounts: AccountStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # token_urlsafe draws from A-Z a-z 0-9 _ -; a secret that starts, ends and is split by
    # underscores must still parse as one secret.
    monkeypatch.setattr("mediamatch.store.accounts.secrets.token_urlsafe", lambda _: "_a-b_c" * 7 + "_")
    accounts.create_organisation("acme")
    key, token = accounts.create_key("acme", "k", ["match"], Environment.TEST)
    assert token == f"mm_test_{key.key_id}_" + "_a-b_c" * 7 + "_"
    assert accounts.verify(token) == key
    with pytest.raises(AuthenticationFailed):
        accounts.verify(token[:-1])


def test_wrong_revoked_and_malformed_keys_are_refused(accounts: AccountStore) -> None:
    accounts.create_organisation("acme")
    key, token = accounts.create_key("acme", "k", ["match"], Environment.TEST)
    for bad in (
        "",
        "Bearer x",
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        token.replace("_test_", "_live_"),
    ):
        with pytest.raises(AuthenticationFailed):
            accounts.verify(bad)
    accounts.revoke(key.key_id)
    with pytest.raises(AuthenticationFailed, match="revoked"):
        accounts.verify(token)
    other = AccountStore(accounts.store, pepper=b"another pepper")
    _, fresh = accounts.create_key("acme", "k2", ["match"], Environment.TEST)
    with pytest.raises(AuthenticationFailed):
        other.verify(fresh)


def test_bad_scopes_and_names_are_refused(accounts: AccountStore) -> None:
    accounts.create_organisation("acme")
    with pytest.raises(AccountError):
        accounts.create_organisation("acme")
    with pytest.raises(AccountError):
        accounts.create_organisation("bad name")
    with pytest.raises(AccountError):
        accounts.create_key("acme", "k", ["match", "root"], Environment.LIVE)
    with pytest.raises(AccountError):
        accounts.create_key("nobody", "k", ["match"], Environment.LIVE)


def test_audit_records_do_not_change_the_store_revision(accounts: AccountStore, store: Store) -> None:
    before = store.revision()
    accounts.audit(AuditRecord("t-1", None, None, "POST /v1/match", 3, (7, 9), "ok", 12.5))
    (row,) = accounts.audit_log()
    assert (row["tracking_id"], row["items"], row["matches"], row["matched_entry_ids"]) == (
        "t-1",
        3,
        2,
        [7, 9],
    )
    assert store.revision() == before


def test_account_changes_do_not_invalidate_match_indexes(accounts: AccountStore, store: Store) -> None:
    before = store.revision()
    accounts.create_organisation("acme")
    key, _ = accounts.create_key("acme", "k", ["match"], Environment.LIVE)
    accounts.revoke(key.key_id)
    assert store.revision() == before


def test_a_key_made_under_another_pepper_is_named_as_such(accounts: AccountStore, store: Store) -> None:
    """Keys made with the development settings, then a service with its own pepper: the service
    says why it refuses them, and lists them before any request arrives."""
    accounts.create_organisation("acme")
    _, token = accounts.create_key("acme", "ci", {"match"}, Environment.LIVE)
    production = AccountStore(store, pepper=b"another pepper of the production service")
    assert production.pepper_id != accounts.pepper_id
    with pytest.raises(AuthenticationFailed, match="another key pepper"):
        production.verify(token)
    assert [k.name for k in production.keys_under_other_peppers()] == ["ci"]
    assert accounts.keys_under_other_peppers() == []
    assert accounts.verify(token).name == "ci"
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(AuthenticationFailed, match="unknown API key"):  # a wrong secret stays unknown
        accounts.verify(forged)


def test_the_audit_log_reads_back_filtered_and_paged(accounts: AccountStore) -> None:
    from datetime import timedelta

    from mediamatch.store.accounts import AuditQuery

    accounts.create_organisation("acme")
    accounts.create_organisation("rival")
    acme, rival = accounts.organisation("acme").id, accounts.organisation("rival").id
    start = datetime(2026, 12, 1, tzinfo=UTC)
    records = [
        AuditRecord(
            f"t{n}",
            f"k{n % 2}",
            acme if n % 2 else rival,
            "/v1/match",
            1,
            (),
            "200",
            1.0,
            (),
            start + timedelta(hours=n),
        )
        for n in range(7)
    ]
    accounts.audit_many(records)
    page, cursor = accounts.audit_page(AuditQuery(limit=3))
    assert [e.tracking_id for e in page] == ["t0", "t1", "t2"]
    assert cursor == page[-1].id
    rest, end = accounts.audit_page(AuditQuery(after=cursor, limit=10))
    assert [e.tracking_id for e in rest] == ["t3", "t4", "t5", "t6"]
    assert end is None
    mine, _ = accounts.audit_page(AuditQuery(organisation="acme"))
    assert {e.organisation for e in mine} == {"acme"}
    assert len(mine) == 3
    window, _ = accounts.audit_page(
        AuditQuery(since=start + timedelta(hours=2), until=start + timedelta(hours=4))
    )
    assert [e.tracking_id for e in window] == ["t2", "t3"]
    assert [e.tracking_id for e in accounts.audit_page(AuditQuery(tracking_id="t5"))[0]] == ["t5"]
    assert [e.key_id for e in accounts.audit_page(AuditQuery(key_id="k0"))[0]] == ["k0"] * 4
    with pytest.raises(AccountError):
        accounts.audit_page(AuditQuery(limit=0))


def test_a_disabled_organisations_keys_are_refused_until_it_is_enabled(accounts: AccountStore) -> None:
    accounts.create_organisation("acme")
    accounts.create_organisation("rival")
    _, token = accounts.create_key("acme", "k", ["match"], Environment.LIVE)
    _, rival = accounts.create_key("rival", "k", ["match"], Environment.LIVE)
    disabled = accounts.disable_organisation("acme", "vetting lapsed")
    assert (disabled.enabled, disabled.disabled_reason) == (False, "vetting lapsed")
    with pytest.raises(PermissionDenied, match="organisation of this API key is disabled"):
        accounts.verify(token)
    assert accounts.verify(rival).organisation == "rival"
    again = accounts.disable_organisation("acme", "still lapsed")
    assert (again.disabled_at, again.disabled_reason) == (disabled.disabled_at, "still lapsed")
    with pytest.raises(AccountError, match="say why"):
        accounts.disable_organisation("rival", "  ")
    assert accounts.enable_organisation("acme").enabled
    assert accounts.verify(token).organisation == "acme"
