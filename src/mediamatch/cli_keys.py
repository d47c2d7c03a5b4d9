"""``mediamatch org create`` and ``mediamatch keys create|list|revoke``; ``mediamatch serve``."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from mediamatch.cli_banks import open_store
from mediamatch.service.settings import Settings
from mediamatch.store import Store
from mediamatch.store.accounts import SCOPES, AccountStore, ApiKey, Environment, Organisation

keys_app = typer.Typer(help="Manage API keys of the matching service.", no_args_is_help=True)
org_app = typer.Typer(help="Manage organisations.", no_args_is_help=True)


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="TOML settings file (its \\[service] table), as `serve --config` reads: keys are made "
        "under its key pepper. Default: $MEDIAMATCH_CONFIG, then the environment.",
    ),
]


def _read_config(context: typer.Context, config: Path | None) -> None:
    """Keep ``--config`` for the command, as ``serve`` does: one configuration for both."""
    context.ensure_object(dict)
    if config is not None:
        context.obj["config"] = config


@keys_app.callback()
def _keys(context: typer.Context, config: ConfigOption = None) -> None:
    _read_config(context, config)


@org_app.callback()
def _orgs(context: typer.Context, config: ConfigOption = None) -> None:
    _read_config(context, config)


def _settings(context: typer.Context) -> Settings:
    """The settings of ``--config`` (kept in the command line's shared object), else as serve reads them."""
    shared = context.obj if isinstance(context.obj, dict) else {}
    return Settings.load(shared.get("config"))


def _accounts(context: typer.Context) -> AccountStore:
    return AccountStore(open_store(context), _settings(context).key_pepper.encode())


@org_app.command("create")
def create_organisation(context: typer.Context, name: str) -> None:
    """Create an organisation; its keys see shared banks and its own."""
    typer.echo(f"created organisation {_accounts(context).create_organisation(name).name}")


@org_app.command("list")
def list_organisations(context: typer.Context) -> None:
    """Name, creation day, active keys and own banks of each organisation (tab-separated)."""
    accounts = _accounts(context)
    found = accounts.organisations()
    if not found:
        typer.echo("no organisations", err=True)
    keys, banks = _counts(accounts)
    for organisation in found:
        active, owned = keys.get(organisation.id, 0), banks.get(organisation.id, 0)
        typer.echo(
            f"{organisation.name}\t{organisation.created_at:%Y-%m-%d}\t{active} keys\t{owned} banks"
            f"\t{_organisation_state(organisation)}"
        )


@org_app.command("show")
def show_organisation(context: typer.Context, name: str) -> None:
    """One organisation: when it was made, its keys (active or revoked) and the banks it owns."""
    accounts = _accounts(context)
    organisation = accounts.organisation(name)
    typer.echo(
        f"organisation {organisation.name}, created {organisation.created_at:%Y-%m-%d %H:%M} UTC, "
        f"{_organisation_state(organisation)}"
    )
    for key in accounts.list_keys():
        if key.organisation_id == organisation.id:
            typer.echo(
                f"key {key.key_id}\t{key.environment.value}\t{_scopes(key)}\t{_state(key)}\t{key.name}"
            )
    for bank in accounts.store.banks():
        if bank.organisation_id == organisation.id:
            typer.echo(f"bank {bank.name}")


@org_app.command("disable")
def disable_organisation(
    context: typer.Context,
    name: str,
    reason: Annotated[str, typer.Option(help="Why: kept with the organisation and in the audit log.")],
) -> None:
    """Refuse every key of the organisation (HTTP 403) until it is enabled again; nothing is deleted."""
    organisation = _accounts(context).disable_organisation(name, reason)
    typer.echo(f"organisation {organisation.name} {_organisation_state(organisation)}")


@org_app.command("enable")
def enable_organisation(context: typer.Context, name: str) -> None:
    """Accept the organisation's keys again (those not revoked)."""
    organisation = _accounts(context).enable_organisation(name)
    typer.echo(f"organisation {organisation.name} {_organisation_state(organisation)}")


def _organisation_state(organisation: Organisation) -> str:
    if organisation.disabled_at is None:
        return "enabled"
    return f"disabled {organisation.disabled_at:%Y-%m-%d %H:%M} UTC: {organisation.disabled_reason}"


def _counts(accounts: AccountStore) -> tuple[Counter[int], Counter[int]]:
    """Active keys and owned banks per organisation id."""
    keys = Counter(key.organisation_id for key in accounts.list_keys() if key.revoked_at is None)
    banks = Counter(
        bank.organisation_id for bank in accounts.store.banks() if bank.organisation_id is not None
    )
    return keys, banks


def _state(key: ApiKey, foreign: bool = False) -> str:
    """``active`` or ``revoked <day>``; an active key its pepper did not make says so."""
    if key.revoked_at is not None:
        return f"revoked {key.revoked_at:%Y-%m-%d}"
    return "active (other pepper)" if foreign else "active"


def _scopes(key: ApiKey) -> str:
    return ",".join(sorted(key.scopes))


@keys_app.command("create")
def create_key(
    context: typer.Context,
    organisation: Annotated[str, typer.Option("--org", help="Organisation the key belongs to.")],
    scope: Annotated[list[str], typer.Option(help=f"Repeat for each scope: {', '.join(sorted(SCOPES))}.")],
    name: Annotated[str, typer.Option(help="What the key is for.")] = "",
    test: Annotated[bool, typer.Option("--test", help="A test key: sees only the Test bank.")] = False,
    rate_limit: Annotated[
        int | None, typer.Option(help="Requests per minute (default: the service's).")
    ] = None,
    monthly_quota: Annotated[
        int | None, typer.Option(help="Items per calendar month (default: the service's).")
    ] = None,
) -> None:
    """Create a key and print it once: only a salted hash is kept."""
    environment = Environment.TEST if test else Environment.LIVE
    key, token = _accounts(context).create_key(
        organisation, name, scope, environment, rate_per_minute=rate_limit, monthly_quota=monthly_quota
    )
    typer.echo(token)
    typer.echo(
        f"key {key.key_id} for {key.organisation} ({', '.join(sorted(key.scopes))}); store it now", err=True
    )


@keys_app.command("list")
def list_keys(context: typer.Context) -> None:
    """Key id, organisation, environment, scopes, state and name; never the secret.

    An active key that the configured key pepper did not make shows as "active (other pepper)":
    a service run with these settings refuses it.
    """
    accounts = _accounts(context)
    foreign = {key.key_id for key in accounts.keys_under_other_peppers()}
    for key in accounts.list_keys():
        state = _state(key, key.key_id in foreign)
        typer.echo(
            f"{key.key_id}\t{key.organisation}\t{key.environment.value}\t{_scopes(key)}\t{state}\t{key.name}"
        )


@keys_app.command("revoke")
def revoke_key(context: typer.Context, key_id: str) -> None:
    """Revoke a key at once; requests with it get 401."""
    _accounts(context).revoke(key_id)
    typer.echo(f"revoked {key_id}")


def _warn_of_foreign_keys(settings: Settings) -> None:
    """Say at start which active keys this service's key pepper cannot verify (made under other
    settings): every request with them will be refused."""
    store = Store(settings.db)
    try:
        foreign = AccountStore(store, settings.key_pepper.encode()).keys_under_other_peppers()
    finally:
        store.close()
    if foreign:
        names = ", ".join(key.key_id for key in foreign[:10]) + (" ..." if len(foreign) > 10 else "")
        typer.echo(
            f"warning: {len(foreign)} active API key(s) were not made under this service's key pepper "
            f"and will be refused: {names}. Make keys with the settings the service runs with.",
            err=True,
        )


def serve(
    context: typer.Context,
    config: Annotated[Path | None, typer.Option(help="TOML settings file (its \\[service] table).")] = None,
    host: Annotated[str | None, typer.Option(help="Default: from settings, 127.0.0.1.")] = None,
    port: Annotated[int | None, typer.Option(help="Default: from settings, 8000.")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes. Default: from settings, 1.")] = None,
) -> None:
    """Run the matching service with uvicorn (workers read the same settings from the environment)."""
    shared = context.obj if isinstance(context.obj, dict) else {}
    config = config or shared.get("config")
    if config is not None:
        os.environ["MEDIAMATCH_CONFIG"] = str(config)
    db = context.obj.get("db") if isinstance(context.obj, dict) else None
    if db:
        os.environ["MEDIAMATCH_DB"] = db
    settings = Settings.load()
    _warn_of_foreign_keys(settings)
    uvicorn.run(
        "mediamatch.service.app:create_app_from_environment",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
    )
