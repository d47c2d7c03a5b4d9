"""``mediamatch bank ...``: create, list, show, import, export, disable, enable and delete banks."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mediamatch.algorithms import default_registry
from mediamatch.configfile import read_service_table
from mediamatch.engine.bank_images import DEFAULT_ALGORITHMS, add_images
from mediamatch.engine.banks import export_stream, import_file
from mediamatch.engine.hashlists import ListFormat
from mediamatch.errors import InvalidBank
from mediamatch.store import Classification

if TYPE_CHECKING:
    from mediamatch.store import Store

bank_app = typer.Typer(help="Manage banks of known hashes.", no_args_is_help=True)

NameArgument = Annotated[str, typer.Argument(help="Bank name: upper case, digits, underscores.")]
FormatOption = Annotated[
    ListFormat | None,
    typer.Option("--format", "-f", help="Hash-list format (default: detected from content)."),
]
AlgorithmOption = Annotated[
    str | None,
    typer.Option("--algorithm", "-a", help="Algorithm of a plain list, or the only one to export."),
]


ResilienceOption = Annotated[
    bool,
    typer.Option(
        help="Also match flipped, turned, bordered, embedded and cropped copies (resilience stage)."
    ),
]
"""The resilience stage switch shared by ``match`` and ``scan``."""


def database_url(context: typer.Context) -> str | None:
    """The database the command uses, as the service would: ``--db`` (or $MEDIAMATCH_DB), else the
    ``db`` of the settings file (``--config`` or $MEDIAMATCH_CONFIG), else None (the default SQLite)."""
    shared = context.obj if isinstance(context.obj, dict) else {}
    if shared.get("db"):
        return str(shared["db"])
    config = shared.get("config") or os.environ.get("MEDIAMATCH_CONFIG")
    if not config:
        return None
    value = read_service_table(Path(config)).get("db")
    return str(value) if value else None


def open_store(context: typer.Context) -> Store:
    """The store of ``database_url``; closed with the command, so no database connection outlives it."""
    from mediamatch.store import Store  # SQLAlchemy loads here, not when the command line starts

    store = Store(database_url(context))
    context.call_on_close(store.close)
    return store


def _thresholds(pairs: list[str]) -> dict[str, int]:
    """``name=value`` pairs; ``name`` is an algorithm or ``algorithm.setting`` (e.g. ``vpdq.query_pct``)."""
    registry = default_registry()
    thresholds = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or not value.strip().isdigit():
            raise InvalidBank(f"threshold {pair!r} must look like pdq=28")
        algorithm_name, dot, setting = name.strip().lower().partition(".")
        algorithm = registry.get(algorithm_name)
        if dot and setting not in algorithm.bank_settings:
            known = ", ".join(sorted(algorithm.bank_settings)) or "none"
            raise InvalidBank(f"{algorithm.name} has no setting {setting!r} (settings: {known})")
        thresholds[f"{algorithm.name}.{setting}" if dot else algorithm.name] = int(value)
    return thresholds


@bank_app.command("create")
def create(
    context: typer.Context,
    name: NameArgument,
    description: Annotated[str, typer.Option(help="What the bank holds.")] = "",
    suppression: Annotated[
        bool, typer.Option(help="Known false positives: a hit cancels other matches.")
    ] = False,
    threshold: Annotated[
        list[str] | None,
        typer.Option(help="Per-algorithm threshold, e.g. pdq=28, or a video share, e.g. vpdq.query_pct=70."),
    ] = None,
    org: Annotated[
        str | None, typer.Option(help="The organisation that owns the bank (default: shared with all).")
    ] = None,
) -> None:
    """Create an empty bank."""
    store = open_store(context)
    owner = None
    if org is not None:
        from mediamatch.store.accounts import AccountStore  # the pepper plays no part in a lookup

        owner = AccountStore(store, b"").organisation(org).id
    thresholds = _thresholds(threshold or [])
    bank = store.create_bank(
        name, description=description, suppression=suppression, thresholds=thresholds, organisation_id=owner
    )
    typer.echo(f"created bank {bank.name}" + (f" owned by {org}" if org else " (shared)"))


@bank_app.command("list")
def list_banks(context: typer.Context) -> None:
    """One line per bank: name, entries, state and description."""
    store = open_store(context)
    banks = store.banks()
    if not banks:  # said on stderr: the listing itself stays empty for scripts
        typer.echo("no banks yet: create one with `mediamatch bank create NAME`", err=True)
    for bank in banks:
        state = ("enabled" if bank.enabled else "disabled") + (", suppression" if bank.suppression else "")
        typer.echo(f"{bank.name}\t{store.count_entries(bank.name)} entries\t{state}\t{bank.description}")


@bank_app.command("show")
def show(context: typer.Context, name: NameArgument) -> None:
    """Settings of a bank and its entry counts per algorithm."""
    store = open_store(context)
    bank = store.bank(name)
    typer.echo(f"name: {bank.name}\ndescription: {bank.description}")
    typer.echo(f"enabled: {bank.enabled}\nsuppression: {bank.suppression}")
    typer.echo(f"created: {bank.created_at.isoformat()}")
    typer.echo(f"thresholds: {bank.thresholds or 'algorithm defaults'}")
    for algorithm, count in store.count_by_algorithm(name).items():
        typer.echo(f"entries ({algorithm}): {count}")
    typer.echo(f"region hashes: {store.count_regions(name)}")


@bank_app.command("import")
def import_command(
    context: typer.Context,
    name: NameArgument,
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Hash-list file.")],
    list_format: FormatOption = None,
    algorithm: AlgorithmOption = None,
    allow_degenerate: Annotated[
        bool,
        typer.Option(
            "--allow-degenerate",
            help="Keep hashes that would match unrelated content (all-zero PDQ, an empty file's MD5); "
            "refused by default.",
        ),
    ] = False,
) -> None:
    """Import a hash list: all of it, or nothing if any record is bad (errors name their lines)."""
    report = import_file(
        open_store(context),
        default_registry(),
        name,
        path,
        list_format,
        algorithm,
        allow_degenerate=allow_degenerate,
    )
    typer.echo(
        f"{report.format.value}: {report.records} records, {report.added} entries added, "
        f"{report.already_present} already present, {report.updated} updated, {report.deleted} deleted, "
        f"{report.skipped_fingerprints} unsupported fingerprints skipped"
    )


@bank_app.command("add-images")
def add_images_command(
    context: typer.Context,
    name: NameArgument,
    paths: Annotated[list[Path], typer.Argument(help="Image and video files, or folders (recursive).")],
    algorithm: Annotated[
        list[str] | None,
        typer.Option("--algorithm", "-a", help="Image algorithms (default: pdq, gradgrid144)."),
    ] = None,
    regions: Annotated[
        bool, typer.Option(help="Also store sub-region hashes, so crops of the images match.")
    ] = True,
    classification: Annotated[
        Classification | None, typer.Option(help="Classification of every image.")
    ] = None,
    tag: Annotated[list[str] | None, typer.Option(help="Tag every entry (repeatable).")] = None,
    digests: Annotated[
        bool, typer.Option(help="Also store each file's MD5 and SHA-1, so exact copies match as exact.")
    ] = True,
) -> None:
    """Hash images and videos into a bank (external id: file name); files that fail are listed and skipped."""
    report = add_images(
        open_store(context),
        default_registry(),
        name,
        paths,
        algorithms=tuple(a.lower() for a in algorithm) if algorithm else DEFAULT_ALGORITHMS,
        regions=regions,
        classification=classification,
        tags=tuple(tag or ()),
        digests=digests,
    )
    for path, error in report.errors:
        typer.echo(f"{path}: {error.kind}: {error.message}", err=True)
    typer.echo(f"{report.files} files, {report.added} entries added, {report.regions} region hashes")
    if report.errors:
        raise typer.Exit(1)


@bank_app.command("export")
def export_command(
    context: typer.Context,
    name: NameArgument,
    path: Annotated[str, typer.Argument(help="Output file, or - for standard output.")],
    list_format: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.HMA_CSV,
    algorithm: AlgorithmOption = None,
) -> None:
    """Write a bank's entries as a hash list."""
    store, registry = open_store(context), default_registry()
    if path == "-":
        written = export_stream(store, registry, name, sys.stdout.buffer, list_format, algorithm)
    else:
        with Path(path).open("wb") as stream:
            written = export_stream(store, registry, name, stream, list_format, algorithm)
    typer.echo(f"exported {written} entries", err=True)


@bank_app.command("disable")
def disable(context: typer.Context, name: NameArgument) -> None:
    """Stop matching against a bank (its entries are kept)."""
    open_store(context).update_bank(name, enabled=False)
    typer.echo(f"disabled bank {name}")


@bank_app.command("enable")
def enable(context: typer.Context, name: NameArgument) -> None:
    """Match against a disabled bank again."""
    open_store(context).update_bank(name, enabled=True)
    typer.echo(f"enabled bank {name}")


@bank_app.command("delete")
def delete(
    context: typer.Context,
    name: NameArgument,
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm deleting the bank and all its entries.")
    ] = False,
) -> None:
    """Delete a bank and all its entries (asks for --yes)."""
    store = open_store(context)
    count = store.count_entries(name)
    if not yes:
        raise InvalidBank(f"deleting {name} removes {count} entries; repeat with --yes to confirm")
    store.delete_bank(name)
    typer.echo(f"deleted bank {name} ({count} entries)")
