"""``mediamatch bank quarantine list|reinstate|suppress``: entries withheld after disputes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from mediamatch.cli_banks import open_store

if TYPE_CHECKING:
    from mediamatch.store.feedback import FeedbackStore

quarantine_app = typer.Typer(help="Entries quarantined by customers' disputes.", no_args_is_help=True)


def _feedback(context: typer.Context) -> FeedbackStore:
    from mediamatch.store.feedback import FeedbackStore  # SQLAlchemy loads only for these commands

    return FeedbackStore(open_store(context))


@quarantine_app.command("list")
def list_quarantined(
    context: typer.Context,
    bank: Annotated[str | None, typer.Option(help="Only this bank's entries.")] = None,
) -> None:
    """Entry id, bank, algorithm, disputes, quarantined since, external id."""
    feedback = _feedback(context)
    banks = {b.id: b.name for b in feedback.store.banks()}
    chosen = None if bank is None else [feedback.store.bank(bank).id]
    held = feedback.quarantined(chosen)
    if not held:  # said on stderr: the listing itself stays empty for scripts
        typer.echo("no quarantined entries" + (f" in {bank}" if bank else ""), err=True)
    for q in held:
        e = q.entry
        typer.echo(
            f"{e.id}\t{banks.get(e.bank_id, '?')}\t{e.algorithm}\t{q.disputes}\t{q.since.isoformat()}"
            f"\t{e.external_id or ''}"
        )


@quarantine_app.command("reinstate")
def reinstate(context: typer.Context, entry_id: int) -> None:
    """Match the entry again; the disputes against it are cleared."""
    _feedback(context).reinstate(entry_id)
    typer.echo(f"reinstated entry {entry_id}")


@quarantine_app.command("suppress")
def suppress(
    context: typer.Context,
    entry_id: int,
    bank: Annotated[str, typer.Option(help="Suppression bank to move the entry to.")],
) -> None:
    """Move the entry to a suppression bank: matches of it will cancel other matches."""
    moved = _feedback(context).suppress(entry_id, bank)
    typer.echo(f"moved entry {entry_id} to {bank} as entry {moved.id}")
