"""``mediamatch audit``: read the audit log, filtered and paged, as JSON lines."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from mediamatch.cli_banks import open_store
from mediamatch.reporting.audit import parse_time
from mediamatch.store.accounts import AUDIT_PAGE_MAX, AccountStore, AuditQuery


def audit(
    context: typer.Context,
    organisation: Annotated[
        str | None, typer.Option("--org", help="Only this organisation's requests.")
    ] = None,
    key_id: Annotated[
        str | None, typer.Option("--key", help="Only this API key's requests (its id).")
    ] = None,
    tracking_id: Annotated[str | None, typer.Option(help="Only the request with this tracking id.")] = None,
    since: Annotated[str | None, typer.Option(help="From this UTC time (inclusive), ISO 8601.")] = None,
    until: Annotated[str | None, typer.Option(help="Before this UTC time (exclusive), ISO 8601.")] = None,
    after: Annotated[int, typer.Option(help="Records after this id: the cursor the last page gave.")] = 0,
    limit: Annotated[int, typer.Option(help=f"Records in this page, 1 to {AUDIT_PAGE_MAX}.")] = 100,
) -> None:
    """One JSON line per audit record, oldest first; the cursor for the next page goes to stderr."""
    query = AuditQuery(
        organisation,
        key_id,
        tracking_id,
        parse_time(since, "--since"),
        parse_time(until, "--until"),
        after,
        limit,
    )
    # Reading the log needs no key pepper: the records hold key ids only.
    page, cursor = AccountStore(open_store(context), b"").audit_page(query)
    for entry in page:
        typer.echo(json.dumps(entry.as_dict()))
    if cursor is not None:
        typer.echo(f"more records: --after {cursor}", err=True)
