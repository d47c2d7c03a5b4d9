"""``mediamatch scan`` and ``mediamatch case ...``: forensic scans into a case folder."""

from __future__ import annotations

import sys
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from mediamatch.cli_banks import ResilienceOption, open_store
from mediamatch.engine.hashing import HashMode
from mediamatch.errors import ScanError
from mediamatch.scan import CaseDB, ScanInterrupted, ScanSettings, check_inputs, run_scan, write_outputs

if TYPE_CHECKING:
    from mediamatch.store import Store

EXIT_INTERRUPTED = 130

case_app = typer.Typer(help="Work with scan cases.", no_args_is_help=True)


class BarProgress:
    """A rich progress bar over bytes, with files done of planned, byte rate, file rate and time left.

    Archives count as one file here (their members are counted in the case).
    """

    def __init__(self, enabled: bool) -> None:
        self.bar = Progress(
            TextColumn("[bold]scanning"),
            BarColumn(),
            TextColumn("{task.fields[files]} files"),
            DownloadColumn(),
            TransferSpeedColumn(),
            TextColumn("{task.fields[rate]} files/s"),
            TimeRemainingColumn(),
            disable=not enabled,
        )
        self.task: TaskID | None = None
        self.total = self.done = self.counted = 0
        self.started = time.monotonic()

    def start(self, files: int, size: int, done_files: int, done_size: int) -> None:
        self.bar.start()
        self.total, self.done, self.started = files, done_files, time.monotonic()
        self.task = self.bar.add_task("scan", total=size, completed=done_size, files="", rate="-")
        self._show()

    def _show(self) -> None:
        elapsed = time.monotonic() - self.started
        rate = f"{self.counted / elapsed:.0f}" if elapsed > 0.5 else "-"
        if self.task is not None:
            self.bar.update(self.task, files=f"{self.done}/{self.total}", rate=rate)

    def advance(self, files: int, size: int) -> None:
        self.done += files
        self.counted += files
        if self.task is not None:
            self.bar.advance(self.task, size)
        self._show()

    def stop(self) -> None:
        self.bar.stop()


class LineProgress:
    """Progress as a line on standard error every ``every`` seconds, for output that is not a
    terminal (a log file, a pipe, a batch system): files and bytes done of planned, the rate, and
    the estimated end; on resume, first how much was already done."""

    def __init__(self, every: float = 5.0) -> None:
        self.every = every
        self.total = self.size = self.done = self.done_size = 0
        self.started = self.shown = time.monotonic()
        self.counted_size = 0

    def start(self, files: int, size: int, done_files: int, done_size: int) -> None:
        self.total, self.size, self.done, self.done_size = files, size, done_files, done_size
        self.started = self.shown = time.monotonic()
        if done_files:
            typer.echo(
                f"resuming: {done_files} of {files} files ({_megabytes(done_size)} of {_megabytes(size)}) "
                "were already done",
                err=True,
            )

    def advance(self, files: int, size: int) -> None:
        self.done += files
        self.done_size += size
        self.counted_size += size
        now = time.monotonic()
        if now - self.shown >= self.every:
            self.shown = now
            typer.echo(self.line(now), err=True)

    def line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-6)
        rate = self.counted_size / elapsed
        left = (self.size - self.done_size) / rate if rate > 0 else None
        eta = "unknown" if left is None else time.strftime("%H:%M:%S", time.localtime(time.time() + left))
        return (
            f"scanning: {self.done}/{self.total} files, {_megabytes(self.done_size)} of "
            f"{_megabytes(self.size)}, {rate / 1e6:.1f} MB/s, ends about {eta}"
        )

    def stop(self) -> None:
        pass


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def scan_command(
    context: typer.Context,
    case: Annotated[Path, typer.Option("--case", help="Case folder (created if missing).")],
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Folders, files and archives to scan (stored for --resume).")
    ] = None,
    bank: Annotated[
        list[str] | None, typer.Option("--bank", "-b", help="Match against these banks (default: all).")
    ] = None,
    ignore_list: Annotated[
        list[Path] | None,
        typer.Option("--ignore-list", help="Known-good MD5/SHA-1 list (plain hex or NSRL RDS CSV)."),
    ] = None,
    mode: Annotated[
        HashMode, typer.Option("--mode", help="fast: reduced-scale decode (default); exact: bit-exact PDQ.")
    ] = HashMode.FAST,
    resume: Annotated[
        bool, typer.Option("--resume", help="Carry on an interrupted scan of this case.")
    ] = False,
    stack_threshold: Annotated[
        int | None, typer.Option(help="PDQ bits (inclusive) for near-duplicate stacks; default: PDQ's.")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: all cores).")] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    report: Annotated[bool, typer.Option(help="Write report.html, files.csv, case.json, vics.json.")] = True,
    resilience: ResilienceOption = True,
) -> None:
    """Scan evidence into a case: hash, stack duplicates, match against banks, write the report.

    Evidence is only read. Interrupted scans (Ctrl-C, kill) carry on with --resume.
    """
    if not resume and not paths:
        raise ScanError("name the folders, files or archives to scan (or use --resume)")
    opener = partial(open_store, context)  # a resumed scan opens it while the workers hash
    if not resume:
        store = open_store(context)
        for name in bank or []:
            store.bank(name)  # an unknown bank fails now, before the case is created
        opener = partial(_given, store)
    settings = ScanSettings(
        [str(p) for p in paths or []], mode, list(bank or []), [str(p) for p in ignore_list or []],
        stack_threshold, workers, resilience,
    )  # fmt: skip
    if resume and paths:
        raise ScanError("--resume carries on with the paths the case was started with; do not name paths")
    # Every input is checked before the case exists: a mistake leaves nothing behind to resume.
    ignore = None if resume else check_inputs(settings.roots, settings.ignore_lists)
    bar: BarProgress | LineProgress = (
        BarProgress(progress) if not progress or sys.stderr.isatty() else LineProgress()
    )
    with CaseDB(case, create=not resume) as database:
        try:
            run_scan(database, settings, opener, bar, resume=resume, ignore=ignore)
        except ScanInterrupted as interrupted:
            bar.stop()
            typer.echo(f"mediamatch: {interrupted}", err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        finally:
            bar.stop()
        _finish(database, report, workers)


def _given(store: Store) -> Store:
    return store


def _finish(database: CaseDB, report: bool, workers: int | None) -> None:
    summary = database.connection.execute(
        "SELECT count(*), sum(status = 'error'), sum(status = 'ignored') FROM files"
    ).fetchone()
    matched = database.connection.execute(
        "SELECT count(DISTINCT file_id) FROM matches WHERE NOT suppressed"
    ).fetchone()[0]
    typer.echo(f"{summary[0]} files: {summary[1] or 0} errors, {summary[2] or 0} ignored, {matched} matched")
    if report:
        for path in write_outputs(database, workers=workers):
            typer.echo(f"wrote {path}")


@case_app.command("report")
def report_command(
    case: Annotated[Path, typer.Argument(help="Case folder.")],
    workers: Annotated[int | None, typer.Option(help="Worker processes for thumbnails.")] = None,
) -> None:
    """Write the case's report.html, files.csv, case.json and vics.json again."""
    with CaseDB(case, create=False) as database:
        for path in write_outputs(database, workers=workers):
            typer.echo(f"wrote {path}")
