"""``mediamatch usage``: images checked and matched per organisation, bank and UTC day."""

from __future__ import annotations

import enum
import json
from typing import Annotated

import typer

from mediamatch.cli_banks import open_store
from mediamatch.reporting.usage import parse_day, rows_as_csv, rows_as_dicts, usage_report
from mediamatch.service.settings import Settings
from mediamatch.store.accounts import AccountStore


class UsageFormat(enum.Enum):
    CSV = "csv"
    JSON = "json"


def usage(
    context: typer.Context,
    first: Annotated[str, typer.Option("--from", help="First UTC day, YYYY-MM-DD (inclusive).")],
    last: Annotated[str, typer.Option("--to", help="Last UTC day, YYYY-MM-DD (inclusive).")],
    output_format: Annotated[UsageFormat, typer.Option("--format", "-f")] = UsageFormat.CSV,
    organisation: Annotated[str | None, typer.Option("--org", help="Only this organisation.")] = None,
) -> None:
    """Usage from the audit log; a row without a bank holds the organisation's totals for the day."""
    start, end = parse_day(first, "--from"), parse_day(last, "--to")
    store = open_store(context)
    chosen = None
    if organisation is not None:
        chosen = AccountStore(store, Settings.load().key_pepper.encode()).organisation(organisation).id
    rows = usage_report(store, start, end, chosen)
    if output_format is UsageFormat.CSV:
        typer.echo(rows_as_csv(rows), nl=False)
    else:
        body = {"from": start.isoformat(), "to": end.isoformat(), "rows": rows_as_dicts(rows)}
        typer.echo(json.dumps(body, indent=2))
