"""Reading evidence without changing it, and walking it without following links.

Files are opened read-only with ``O_NOATIME`` where the kernel allows it (the owner,
or root), so reading does not even move the access time; elsewhere the access time
follows the mount's policy. Nothing here writes, renames or changes a file.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO

from mediamatch.errors import UnsupportedMedia
from mediamatch.scan.records import Times

_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_NOATIME = getattr(os, "O_NOATIME", 0)


def open_evidence(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a regular file for reading only, refusing symlinks, devices and pipes."""
    try:
        descriptor = os.open(path, _READ_FLAGS | _NOATIME)
    except PermissionError:
        if not _NOATIME:
            raise
        descriptor = os.open(path, _READ_FLAGS)  # O_NOATIME is refused on files of other users
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise UnsupportedMedia(f"{path} is not a regular file")
    return os.fdopen(descriptor, "rb")


def times_of(status: os.stat_result) -> Times:
    return Times(status.st_mtime, status.st_ctime, status.st_atime)


@dataclass(slots=True)
class WalkResult:
    """Regular files found (path, size), in a stable order, and what was passed over."""

    files: list[tuple[str, int]] = field(default_factory=list)
    symlinks: list[str] = field(default_factory=list)
    special: list[str] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)


def _walk_folder(root: Path, found: WalkResult, seen: set[tuple[int, int]]) -> None:
    pending = [root]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name, reverse=True)
        except OSError as error:
            found.unreadable.append((str(folder), str(error)))
            continue
        for entry in entries:
            _take(Path(entry.path), entry.stat(follow_symlinks=False), found, seen, pending)


def _take(
    path: Path, status: os.stat_result, found: WalkResult, seen: set[tuple[int, int]], pending: list[Path]
) -> None:
    if stat.S_ISLNK(status.st_mode):
        found.symlinks.append(str(path))
    elif stat.S_ISDIR(status.st_mode):
        if (status.st_dev, status.st_ino) not in seen:  # bind mounts can loop without a link
            seen.add((status.st_dev, status.st_ino))
            pending.append(path)
    elif stat.S_ISREG(status.st_mode):
        found.files.append((str(path), status.st_size))
    else:
        found.special.append(str(path))


def walk(roots: Iterable[str | os.PathLike[str]]) -> WalkResult:
    """Every regular file under ``roots``, depth first in name order; symbolic links are
    recorded, never followed (a root given as a link is followed once, as asked)."""
    found = WalkResult()
    seen: set[tuple[int, int]] = set()
    for raw in roots:
        root = Path(raw)
        try:
            status = root.stat()
        except OSError as error:
            found.unreadable.append((str(root), str(error)))
            continue
        pending: list[Path] = []
        _take(root, status, found, seen, pending)
        for folder in pending:
            _walk_folder(folder, found, seen)
    found.files.sort()
    return found


def iter_chunks(handle: IO[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    while chunk := handle.read(size):
        yield chunk
