"""Fuzz targets for the parsers that read untrusted bytes (issue 21), for atheris (``run.py``).

Each target feeds one input to one parser and lets through only the domain's own errors, the
answers the parser documents for bad input; anything else (an unexpected exception, a hang past
libFuzzer's timeout, a crash) is a finding. ``SEEDS`` gives each a few valid inputs to start from.
"""

from __future__ import annotations

import contextlib
import io
import tarfile
import zipfile
from collections.abc import Callable

from mediamatch.algorithms import default_registry
from mediamatch.engine.hashlists import detect_format, hma_csv, ncmec_xml, plain, vics_json
from mediamatch.errors import MediamatchError
from mediamatch.media import DecodeOptions, decode_image
from mediamatch.media.sniff import sniff
from mediamatch.samples import encode, synthetic_photo
from mediamatch.scan.archives import ARCHIVE_ERRORS, members
from mediamatch.scan.kinds import ArchiveKind
from mediamatch.service.inputs import _json_items, _multipart_items

REGISTRY = default_registry()
SMALL = DecodeOptions(max_bytes=1 << 20, max_pixels=4_000_000)
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def _sniff(data: bytes) -> None:
    sniff(data[:64])


def _decode(data: bytes) -> None:
    with contextlib.suppress(MediamatchError):
        decode_image(data, SMALL)


def _multipart(data: bytes) -> None:
    with contextlib.suppress(MediamatchError):
        _multipart_items(data, b"BOUNDARY", 1 << 20)


def _json(data: bytes) -> None:
    with contextlib.suppress(MediamatchError):
        _json_items(data, True, 1 << 20)


def _reader(module: object, algorithm: str | None) -> Callable[[bytes], None]:
    def target(data: bytes) -> None:
        try:
            for _ in module.read(io.BytesIO(data), REGISTRY, algorithm):  # type: ignore[attr-defined]
                pass
        except MediamatchError:
            pass

    return target


def _detect(data: bytes) -> None:
    with contextlib.suppress(MediamatchError):
        detect_format(io.BytesIO(data))


def _archive(kind: ArchiveKind) -> Callable[[bytes], None]:
    def target(data: bytes) -> None:
        try:
            for _, stream in members(io.BytesIO(data), kind):
                stream.read(1 << 20)
        except (MediamatchError, *ARCHIVE_ERRORS):
            pass

    return target


TARGETS: dict[str, Callable[[bytes], None]] = {
    "sniff": _sniff,
    "decode": _decode,
    "multipart": _multipart,
    "json-items": _json,
    "plain-list": _reader(plain, "md5"),
    "plain-list-self-describing": _reader(plain, None),
    "hma-csv": _reader(hma_csv, None),
    "ncmec-xml": _reader(ncmec_xml, None),
    "vics-json": _reader(vics_json, None),
    "detect-format": _detect,
    "zip": _archive(ArchiveKind.ZIP),
    "tar": _archive(ArchiveKind.TAR),
}


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", b"hello")
    return buffer.getvalue()


def _tar() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("a.txt")
        info.size = 5
        archive.addfile(info, io.BytesIO(b"hello"))
    return buffer.getvalue()


def seeds(target: str) -> list[bytes]:
    """A few valid inputs for ``target``, for the fuzzer to mutate."""
    photo = synthetic_photo(1, 64, 48)
    images = [encode(photo, "PNG"), encode(photo, "JPEG", quality=80), encode(photo, "WEBP")]
    part = b'--BOUNDARY\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'
    found = {
        "sniff": images,
        "decode": images,
        "multipart": [part + images[0] + b"\r\n--BOUNDARY--\r\n"],
        "json-items": [b'{"items": [{"hashes": {"pdq": "' + PDQ.encode() + b'"}}, {"image": "AAAA"}]}'],
        "plain-list": [f"# md5\n{MD5}\n".encode()],
        "plain-list-self-describing": [f"pdq:{PDQ}\nmd5:{MD5}\n".encode()],
        "hma-csv": [f"signal_type,signal_value,tags\npdq,{PDQ},a;b\n".encode()],
        "ncmec-xml": [
            f'<queryResult><images><image><id>1</id><fingerprints><fingerprint type="MD5">{MD5}'
            "</fingerprint></fingerprints></image></images></queryResult>".encode()
        ],
        "vics-json": [f'{{"value": [{{"MD5": "{MD5}", "MediaID": 1, "Category": 1}}]}}'.encode()],
        "detect-format": [f"{MD5}\n".encode(), b"<queryResult/>", b'{"value": []}'],
        "zip": [_zip()],
        "tar": [_tar()],
    }
    return found[target]
