"""The ``mediamatch`` command line: thin adapters over the engine.

Exit codes: 0 success (for ``compare``: the pair matches); 1 some files failed to
hash (for ``compare``: no match); 2 bad usage or an input that cannot be used.
"""

from __future__ import annotations

import csv
import enum
import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import platformdirs
import typer
from typer import _click as click  # the Click that Typer bundles, whose types TyperGroup uses
from typer.core import TyperGroup

from mediamatch import __version__
from mediamatch.algorithms import AlgorithmRegistry, HashAlgorithm, HashResult, default_registry
from mediamatch.cli_banks import ResilienceOption, bank_app, open_store
from mediamatch.cli_quarantine import quarantine_app
from mediamatch.cli_scan import case_app, scan_command
from mediamatch.engine import FileHasher, FileHashes, HashMode, iter_files
from mediamatch.engine.hashlists.hash_output import text_line
from mediamatch.engine.matching import Matcher
from mediamatch.engine.records import (
    csv_header,
    file_hashes_to_dict,
    file_hashes_to_row,
    file_matches_to_dict,
)
from mediamatch.engine.resilience import Resilience
from mediamatch.errors import ImportFailed, MediamatchError
from mediamatch.media import DecodeOptions
from mediamatch.media.video import VideoOptions

EXIT_ITEM_FAILED = 1
EXIT_NO_MATCH = 1
EXIT_UNUSABLE_INPUT = 2

LAZY_COMMANDS = {
    "keys": "mediamatch.cli_keys:keys_app",
    "org": "mediamatch.cli_keys:org_app",
    "webhooks": "mediamatch.cli_webhooks:webhooks_app",
    "serve": "mediamatch.cli_keys:serve",
    "usage": "mediamatch.cli_usage:usage",
    "audit": "mediamatch.cli_audit:audit",
}
"""Commands for running the service, whose modules (SQLAlchemy, pydantic, uvicorn) load only when
one of them runs or help lists them: hashing, matching and scanning start a quarter second sooner."""


def _click_command(name: str, target: str) -> click.Command:
    module, _, attribute = target.partition(":")
    found: typer.Typer | Callable[..., None] = getattr(importlib.import_module(module), attribute)
    if isinstance(found, typer.Typer):
        command: click.Command = typer.main.get_group(found)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(found)
        command = typer.main.get_command(single)
    command.name = name
    return command


class _LazyGroup(TyperGroup):
    """The top-level group: ``LAZY_COMMANDS`` are imported when first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in LAZY_COMMANDS if name not in self.commands)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            self.add_command(_click_command(cmd_name, LAZY_COMMANDS[cmd_name]), cmd_name)
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    name="mediamatch",
    help="Perceptual hashing and matching of images and videos.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=_LazyGroup,
)
bank_app.add_typer(quarantine_app, name="quarantine")
app.add_typer(bank_app, name="bank")
app.add_typer(case_app, name="case")
app.command("scan")(scan_command)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"mediamatch {__version__}")
        raise typer.Exit()


@app.callback()
def options(
    context: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", envvar="MEDIAMATCH_DB", help="Database URL (default: SQLite in the user data folder)."
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar="MEDIAMATCH_CONFIG",
            help="TOML settings file, the one `serve` reads: its db (unless --db) and key pepper.",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Perceptual hashing and matching of images and videos."""
    context.obj = {"db": db, "config": config}


class OutputFormat(enum.Enum):
    JSONL = "jsonl"
    CSV = "csv"
    TEXT = "text"
    HMA_CSV = "hma-csv"


DEFAULT_HASH_ALGORITHMS = "pdq,vpdq"
"""What ``hash`` computes without ``-a``: PDQ of each image, vPDQ of each video."""
AlgorithmOption = Annotated[
    str | None,
    typer.Option(
        "--algorithm",
        "-a",
        help="Algorithm name, or several separated by commas (default: pdq for images, vpdq for "
        "videos). md5, sha1 and sha256 hash any file; `mediamatch algorithms` lists them all.",
    ),
]
ModeOption = Annotated[
    HashMode,
    typer.Option(
        "--mode",
        help="exact: bit-exact with the references. fast: large JPEGs decoded at 1/2 to 1/8 scale (2-3x "
        "faster); PDQ then stays within 4 bits of exact on the project's photographs, but is not "
        "bit-exact: use exact for conformance checks and for hashes going into shared lists.",
    ),
]
NoExifOption = Annotated[bool, typer.Option("--no-exif-orientation", help="Ignore EXIF orientation.")]
FpsOption = Annotated[
    float, typer.Option("--fps", min=0.001, help="Video frames hashed per second of video (default 1).")
]
EveryFrameOption = Annotated[
    bool, typer.Option("--every-frame", help="Hash every video frame (for bank videos), not --fps.")
]
VideoSizeOption = Annotated[
    str | None,
    typer.Option("--video-size", help="Scale video frames to WxH before hashing (vPDQ's downsample)."),
]


class VideoSampling(enum.Enum):
    FRAMES = "frames"
    TIME = "time"


def sampling_option(default: VideoSampling) -> Any:
    return typer.Option(
        "--video-sampling",
        help="frames: every int(rate/fps)-th decoded frame, as Meta's vPDQ samples (hashes that others' "
        "vPDQ lists match); time: the first frame at each interval of presentation time, a flat one "
        "replaced by a later one (more usable frames; right for variable frame rates).",
    )


def video_options(
    fps: float, every_frame: bool, size: str | None, sampling: VideoSampling = VideoSampling.FRAMES
) -> VideoOptions:
    """Sampling and scaling of videos from the command-line options."""
    scale = None
    if size is not None:
        width, separator, height = size.lower().partition("x")
        if not separator or not width.isdigit() or not height.isdigit() or min(int(width), int(height)) < 5:
            raise MediamatchError(f"--video-size {size!r} must look like 128x128 (at least 5 pixels a side)")
        scale = (int(width), int(height))
    interval = None if every_frame else 1.0 / fps
    return VideoOptions(sample_interval=interval, scale_to=scale, sampling=sampling.value)


def _algorithms(registry: AlgorithmRegistry, spec: str) -> list[HashAlgorithm]:
    names = [name.strip().lower() for name in spec.split(",") if name.strip()]
    return [registry.get(name) for name in dict.fromkeys(names)]


def _text_line(record: FileHashes, registry: AlgorithmRegistry) -> str:
    """``NAME:HASH QUALITY`` per hash and the path, two spaces apart (``bank import`` reads it)."""
    if record.error is not None:
        return f"ERROR {record.error.kind}: {record.error.message}  {record.path}"
    hashes = [
        (name, registry.get(name).format(result.value), result.quality)
        for name, result in record.results.items()
    ]
    return text_line(hashes, record.path)


def _hma_rows(record: FileHashes, registry: AlgorithmRegistry) -> list[list[str]]:
    """One HMA CSV row per hash of the file, named by the file's path."""
    return [
        [name, registry.get(name).format(r.value), record.path, "" if r.quality is None else str(r.quality)]
        for name, r in record.results.items()
    ]


@app.command("hash")
def hash_command(
    paths: Annotated[list[Path], typer.Argument(help="Files and folders (walked recursively).")],
    algorithm: AlgorithmOption = None,
    mode: ModeOption = HashMode.EXACT,
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.JSONL,
    no_exif_orientation: NoExifOption = False,
    fps: FpsOption = 1.0,
    every_frame: EveryFrameOption = False,
    video_size: VideoSizeOption = None,
    video_sampling: Annotated[VideoSampling, sampling_option(VideoSampling.FRAMES)] = VideoSampling.FRAMES,
) -> None:
    """Hash every file under PATHS: one record per file; failed files get an error record.

    Each file gets the algorithms of its kind: images the image algorithms, videos the video
    algorithms, and every file the digests asked for. Every format imports back with
    `mediamatch bank import` (detected, or --format mediamatch-jsonl, mediamatch-csv,
    mediamatch-text, hma-csv).
    """
    registry = default_registry()
    algorithms = _algorithms(registry, algorithm or DEFAULT_HASH_ALGORITHMS)
    options = DecodeOptions(apply_exif_orientation=not no_exif_orientation)
    videos = video_options(fps, every_frame, video_size, video_sampling)
    hasher = FileHasher(algorithms, mode=mode, decode_options=options, video_options=videos)
    names = [a.name for a in algorithms]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    if output_format is OutputFormat.CSV:
        writer.writerow(csv_header(names))
    elif output_format is OutputFormat.HMA_CSV:
        writer.writerow(["signal_type", "signal_value", "external_id", "quality"])
    failed = total = 0
    for record in hasher.hash_paths(paths):
        total += 1
        failed += record.error is not None
        if output_format is OutputFormat.JSONL:
            typer.echo(json.dumps(file_hashes_to_dict(record, registry)))
        elif output_format is OutputFormat.CSV:
            writer.writerow(file_hashes_to_row(record, names, registry))
        elif output_format is OutputFormat.HMA_CSV:
            writer.writerows(_hma_rows(record, registry))
            if record.error is not None:
                typer.echo(_text_line(record, registry), err=True)
        else:
            typer.echo(_text_line(record, registry))
    if failed:
        typer.echo(f"mediamatch: {failed} of {total} files could not be hashed", err=True)
        raise typer.Exit(EXIT_ITEM_FAILED)


@app.command("algorithms")
def algorithms_command() -> None:
    """List the hash algorithms: name, what they hash, default threshold (inclusive) and unit."""
    for chosen in default_registry():
        quality = ", with quality" if chosen.has_quality else ""
        typer.echo(
            f"{chosen.name:<12} {chosen.media_kind.value:<6} threshold {chosen.threshold} "
            f"{chosen.distance_unit}{quality}"
        )
        if chosen.summary:
            typer.echo(f"{'':<12} {chosen.summary}")


def _hash_operand(operand: str, hasher: FileHasher, registry: AlgorithmRegistry, name: str) -> HashResult:
    """A compare operand is a file path or a self-describing hash text such as ``pdq:<hex>``."""
    if Path(operand).exists():
        record = hasher.hash_file(operand)
        if record.error is not None:
            raise MediamatchError(f"{operand}: {record.error.kind}: {record.error.message}")
        return record.results[name]
    prefix, separator, _ = operand.partition(":")
    if not separator or prefix.strip().lower() not in registry.names():
        raise MediamatchError(f"{operand!r} is neither an existing file nor a hash text like pdq:<hex>")
    value = registry.parse(operand)
    registry.get(name).own(value)
    return HashResult(value)


@app.command("compare")
def compare_command(
    first: Annotated[str, typer.Argument(metavar="A", help="Image file or hash text like pdq:<hex>.")],
    second: Annotated[str, typer.Argument(metavar="B", help="Image file or hash text like pdq:<hex>.")],
    algorithm: Annotated[str, typer.Option("--algorithm", "-a")] = "pdq",
    threshold: Annotated[int | None, typer.Option(help="Inclusive; default: the algorithm's.")] = None,
    mode: ModeOption = HashMode.EXACT,
    no_exif_orientation: NoExifOption = False,
    resilience: Annotated[
        bool,
        typer.Option(
            "--resilience",
            help="Match A against picture B as `match` would against a bank built from B: with the "
            "resilience stage (flips, turns, borders, crops) and its verification. Both must be files.",
        ),
    ] = False,
) -> None:
    """Print the distance between A and B and whether they match (exit 0 match, 1 no match)."""
    registry = default_registry()
    chosen = registry.get(algorithm.strip().lower())
    options = DecodeOptions(apply_exif_orientation=not no_exif_orientation)
    if resilience:
        _compare_through_a_bank(first, second, chosen, threshold, mode, options)
        return
    hasher = FileHasher([chosen], mode=mode, decode_options=options)
    results = [_hash_operand(op, hasher, registry, chosen.name) for op in (first, second)]
    limit = chosen.threshold if threshold is None else threshold
    distance = chosen.distance(results[0].value, results[1].value)
    unusable = [
        f"{label} quality {r.quality}"
        for label, r in zip("AB", results, strict=True)
        if not chosen.is_usable(r)
    ]
    if unusable:
        verdict = f"no match: {' and '.join(unusable)} below the minimum of {chosen.min_quality}"
    else:
        verdict = "match" if distance <= limit else "no match"
    unit = chosen.distance_unit
    typer.echo(f"{chosen.name} distance {distance} {unit} (threshold {limit}, inclusive): {verdict}")
    if verdict != "match":
        raise typer.Exit(EXIT_NO_MATCH)


def _compare_through_a_bank(
    query: str,
    known: str,
    chosen: HashAlgorithm,
    threshold: int | None,
    mode: HashMode,
    options: DecodeOptions,
) -> None:
    """``compare --resilience``: B goes into a throwaway bank as ``bank add-images`` puts it (regions,
    keypoints), and A is matched against it by the engine, stage and verification included."""
    import tempfile

    from mediamatch.engine.bank_images import add_images
    from mediamatch.store import Store

    missing = [operand for operand in (query, known) if not Path(operand).is_file()]
    if missing:
        raise MediamatchError(
            f"--resilience compares two files (it derives variants from the pictures): {missing[0]!r}"
        )
    registry = default_registry()
    with tempfile.TemporaryDirectory(prefix="mediamatch-compare-") as folder:
        store = Store(f"sqlite:///{Path(folder) / 'compare.sqlite3'}")
        try:
            thresholds = None if threshold is None else {chosen.name: threshold}
            store.create_bank("COMPARED", thresholds=thresholds)
            added = add_images(
                store, registry, "COMPARED", [known], algorithms=(chosen.name,), decode_options=options
            )
            if added.errors:
                _, error = added.errors[0]
                raise MediamatchError(f"{known}: {error.kind}: {error.message}")
            stage = Resilience()
            matcher = Matcher(store, registry, ["COMPARED"], mode=mode, resilience=stage)
            found = matcher.match_file(query)
        finally:
            store.close()
    if found.error is not None:
        raise MediamatchError(f"{query}: {found.error.kind}: {found.error.message}")
    default = stage.thresholds.get(chosen.name, chosen.threshold)
    limit = f"threshold {default if threshold is None else threshold}, inclusive"
    if found.low_quality:
        typer.echo(f"{chosen.name}: no match: A's quality is below the minimum of {chosen.min_quality}")
        raise typer.Exit(EXIT_NO_MATCH)
    if not found.matches and found.held:
        lead = min(found.held, key=lambda match: match.distance)
        typer.echo(
            f"{chosen.name} distance {lead.distance} {chosen.distance_unit} via {lead.variant} ({limit}): "
            "held, not a match: A is layout-dominated (a document, chart, diagram, icon or screen), "
            "where a sibling of one template cannot be told from a copy"
        )
        raise typer.Exit(EXIT_NO_MATCH)
    if not found.matches:
        typer.echo(f"{chosen.name}: no match with the resilience stage ({limit})")
        raise typer.Exit(EXIT_NO_MATCH)
    best = min(found.matches, key=lambda match: match.distance)
    checked = "verified by keypoints" if best.verified else "decided by the hash"
    distance = f"{chosen.name} distance {best.distance} {chosen.distance_unit} via {best.variant}"
    typer.echo(f"{distance} ({limit}; {checked}): match")


@app.command("match")
def match_command(
    context: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files and folders (walked recursively).")],
    bank: Annotated[
        list[str] | None, typer.Option("--bank", "-b", help="Only these banks (default: all).")
    ] = None,
    mode: ModeOption = HashMode.EXACT,
    index_cache: Annotated[
        Path | None,
        typer.Option(
            envvar="MEDIAMATCH_INDEX_CACHE", help="Folder for index snapshots (default: user cache)."
        ),
    ] = None,
    no_index_cache: Annotated[
        bool, typer.Option("--no-index-cache", help="Build indexes from the database every time.")
    ] = False,
    fps: FpsOption = 1.0,
    video_size: VideoSizeOption = None,
    video_sampling: Annotated[VideoSampling, sampling_option(VideoSampling.TIME)] = VideoSampling.TIME,
    resilience: ResilienceOption = True,
) -> None:
    """Match files against banks: one JSON line per file with bank, entry, classification, distance.

    A video match also gives the shares of the query's and the bank video's frames that
    matched and the matched time ranges. Indexes are saved as snapshots and reused while
    the banks are unchanged.
    """
    default_cache = Path(platformdirs.user_cache_dir("mediamatch")) / "indexes"
    cache = None if no_index_cache else index_cache or default_cache
    videos = video_options(fps, False, video_size, video_sampling)
    stage = Resilience() if resilience else Resilience.off()
    matcher = Matcher(
        open_store(context),
        default_registry(),
        bank or (),
        mode=mode,
        cache_dir=cache,
        video_options=videos,
        resilience=stage,
    )
    failed = total = 0
    for path in iter_files(paths):
        found = matcher.match_file(path)
        total += 1
        failed += found.error is not None
        typer.echo(json.dumps(file_matches_to_dict(found)))
    if failed:
        typer.echo(f"mediamatch: {failed} of {total} files could not be fully hashed", err=True)
        raise typer.Exit(EXIT_ITEM_FAILED)


def main() -> None:
    """Console entry point: domain errors become one line on stderr and exit status 2."""
    try:
        app()
    except ImportFailed as error:
        typer.echo(f"mediamatch: error: {error}", err=True)
        for line, message in error.errors[20:]:
            typer.echo(f"  line {line}: {message}", err=True)
        sys.exit(EXIT_UNUSABLE_INPUT)
    except MediamatchError as error:
        typer.echo(f"mediamatch: error: {error}", err=True)
        sys.exit(EXIT_UNUSABLE_INPUT)
