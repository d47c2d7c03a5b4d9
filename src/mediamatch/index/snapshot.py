"""The index snapshot format: explicit, versioned, checksummed; never pickle.

Layout (all integers little-endian)::

    b"MMINDEX\\n"                      8-byte magic
    u32 header length, u32 header CRC-32
    header: UTF-8 JSON {"format": 1, "kind", "algorithm", "algorithm_version",
                        "meta": {...}, "arrays": [{"name", "dtype", "shape",
                        "offset", "nbytes", "crc32"}, ...]}
    array payloads, each starting on a 64-byte boundary

Readers refuse a file whose magic, format version, kind, algorithm, header or any
array checksum does not match, with ``IndexSnapshotError``. Writers replace the
target atomically (write a temporary file, then rename).
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mediamatch.algorithms import HashAlgorithm, HashValue
from mediamatch.errors import IndexSnapshotError

MAGIC = b"MMINDEX\n"
FORMAT_VERSION = 1
ALIGN = 64
_PREFIX = struct.Struct("<II")


def _aligned(offset: int) -> int:
    return (offset + ALIGN - 1) // ALIGN * ALIGN


def write_snapshot(
    path: Path, kind: str, algorithm: HashAlgorithm, meta: dict[str, Any], arrays: dict[str, npt.NDArray[Any]]
) -> None:
    """Write ``arrays`` (C-contiguous) with ``meta`` to ``path`` atomically."""
    entries: list[dict[str, Any]] = []
    offset = 0
    for name, array in arrays.items():
        contiguous = np.ascontiguousarray(array)
        entries.append(
            {
                "name": name,
                "dtype": contiguous.dtype.str,
                "shape": list(contiguous.shape),
                "offset": offset,
                "nbytes": contiguous.nbytes,
                "crc32": zlib.crc32(contiguous.data),
            }
        )
        offset = _aligned(offset + contiguous.nbytes)
    header = json.dumps(
        {
            "format": FORMAT_VERSION,
            "kind": kind,
            "algorithm": algorithm.name,
            "algorithm_version": algorithm.version,
            "meta": meta,
            "arrays": entries,
        }
    ).encode()
    start = _aligned(len(MAGIC) + _PREFIX.size + len(header))
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("wb") as handle:
        handle.write(MAGIC + _PREFIX.pack(len(header), zlib.crc32(header)) + header)
        for entry, array in zip(entries, arrays.values(), strict=True):
            handle.seek(start + entry["offset"])
            handle.write(np.ascontiguousarray(array).data)
    os.replace(temporary, path)


def _read_header(handle: Any, path: Path) -> tuple[dict[str, Any], int]:
    magic = handle.read(len(MAGIC))
    if magic != MAGIC:
        raise IndexSnapshotError(f"{path} is not a mediamatch index snapshot")
    prefix = handle.read(_PREFIX.size)
    if len(prefix) != _PREFIX.size:
        raise IndexSnapshotError(f"{path} is truncated")
    length, checksum = _PREFIX.unpack(prefix)
    raw = handle.read(length)
    if len(raw) != length or zlib.crc32(raw) != checksum:
        raise IndexSnapshotError(f"{path} has a damaged header")
    try:
        header: dict[str, Any] = json.loads(raw)
    except ValueError:
        raise IndexSnapshotError(f"{path} has an unreadable header") from None
    return header, _aligned(len(MAGIC) + _PREFIX.size + length)


def _check_identity(header: dict[str, Any], path: Path, kind: str, algorithm: HashAlgorithm) -> None:
    if header.get("format") != FORMAT_VERSION:
        raise IndexSnapshotError(
            f"{path} is format {header.get('format')}, this reader knows {FORMAT_VERSION}"
        )
    found = (header.get("kind"), header.get("algorithm"), header.get("algorithm_version"))
    wanted = (kind, algorithm.name, algorithm.version)
    if found != wanted:
        raise IndexSnapshotError(f"{path} holds {found}, expected {wanted}")


def _read_array(handle: Any, path: Path, start: int, entry: dict[str, Any]) -> npt.NDArray[Any]:
    dtype = np.dtype(entry["dtype"])
    count = int(np.prod(entry["shape"], dtype=np.int64))
    handle.seek(start + entry["offset"])
    array = np.fromfile(handle, dtype=dtype, count=count)
    if array.nbytes != entry["nbytes"] or zlib.crc32(array.data) != entry["crc32"]:
        raise IndexSnapshotError(f"{path}: array {entry['name']!r} is truncated or damaged")
    return array.reshape(entry["shape"])


def _map_array(path: Path, start: int, entry: dict[str, Any]) -> npt.NDArray[Any]:
    """The array mapped copy-on-write: pages are read from the file (and shared with every process
    that maps it) until this process writes to them."""
    dtype, shape = np.dtype(entry["dtype"]), tuple(entry["shape"])
    if entry["nbytes"] == 0:
        return np.zeros(shape, dtype=dtype)
    if path.stat().st_size < start + entry["offset"] + entry["nbytes"]:
        raise IndexSnapshotError(f"{path}: array {entry['name']!r} is truncated")
    array = np.memmap(path, dtype=dtype, mode="c", offset=start + entry["offset"], shape=shape)
    if zlib.crc32(array.data) != entry["crc32"]:
        raise IndexSnapshotError(f"{path}: array {entry['name']!r} is damaged")
    return array


def read_snapshot(
    path: Path, kind: str, algorithm: HashAlgorithm, *, mapped: bool = False
) -> tuple[dict[str, Any], dict[str, npt.NDArray[Any]]]:
    """Meta and arrays of a snapshot, after checking its identity and every checksum.

    ``mapped``: the arrays are copy-on-write memory maps of the file instead of copies in memory.
    """
    try:
        with path.open("rb") as handle:
            header, start = _read_header(handle, path)
            _check_identity(header, path, kind, algorithm)
            if mapped:
                arrays = {e["name"]: _map_array(path, start, e) for e in header["arrays"]}
            else:
                arrays = {e["name"]: _read_array(handle, path, start, e) for e in header["arrays"]}
    except (KeyError, TypeError, ValueError) as error:
        raise IndexSnapshotError(f"{path} has a malformed header: {error}") from None
    meta: dict[str, Any] = header.get("meta", {})
    return meta, arrays


def values_to_arrays(values: dict[int, bytes]) -> dict[str, npt.NDArray[Any]]:
    """Ids and fixed-length values (id -> raw bytes) as ``ids`` and a ``data`` byte matrix."""
    ids = np.fromiter(values, dtype=np.int64, count=len(values))
    width = len(next(iter(values.values()))) if values else 0
    data = np.frombuffer(b"".join(values.values()), dtype=np.uint8).reshape(len(ids), width)
    return {"ids": ids, "data": data}


def arrays_to_values(
    algorithm: HashAlgorithm, arrays: dict[str, npt.NDArray[Any]]
) -> tuple[list[int], list[HashValue]]:
    """The inverse of ``values_to_arrays``: ids and the algorithm's hash values."""
    return arrays["ids"].tolist(), [algorithm.from_bytes(row.tobytes()) for row in arrays["data"]]
