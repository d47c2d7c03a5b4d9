"""``mediamatch bank quarantine list|reinstate|suppress``: entries withheld after disputes."""

from __future__ import annotations

from typing import Annotated

import typer

from mediamatch.cli_banks import open_store
from mediamatch.store.feedback import FeedbackStore

quarantine_app = typer.Typer(help="Entries quarantined by customers' disputes.", no_args_is_help=True)


@quarantine_app.command("list")
def list_quarantined(
    context: typer.Context,
    bank: Annotated[str | None, typer.Option(help="Only this bank's entries.")] = None,
) -> None:
    """Entry id, bank, algorithm, disputes, quarantined since, external id."""
    store = open_store(context)
    banks = {b.id: b.name for b in store.banks()}
    chosen = None if bank is None else [store.bank(bank).id]
    for q in FeedbackStore(store).quarantined(chosen):
        e = q.entry
        typer.echo(
            f"{e.id}\t{banks.get(e.bank_id, '?')}\t{e.algorithm}\t{q.disputes}\t{q.since.isoformat()}"
            f"\t{e.external_id or ''}"
        )


@quarantine_app.command("reinstate")
def reinstate(context: typer.Context, entry_id: int) -> None:
    """Match the entry again; the disputes against it are cleared."""
    FeedbackStore(open_store(context)).reinstate(entry_id)
    typer.echo(f"reinstated entry {entry_id}")


@quarantine_app.command("suppress")
def suppress(
    context: typer.Context,
    entry_id: int,
    bank: Annotated[str, typer.Option(help="Suppression bank to move the entry to.")],
) -> None:
    """Move the entry to a suppression bank: matches of it will cancel other matches."""
    moved = FeedbackStore(open_store(context)).suppress(entry_id, bank)
    typer.echo(f"moved entry {entry_id} to {bank} as entry {moved.id}")
