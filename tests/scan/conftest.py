"""Evidence trees made of generated photos, scanned into cases on temporary files."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from mediamatch.samples import encode, resize, synthetic_photo


def photo(seed: int, **params: object) -> bytes:
    return encode(synthetic_photo(seed), "JPEG", quality=90, **params)


def tar_bytes(members: dict[str, bytes], mode: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1_600_000_000
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, (2021, 5, 6, 7, 8, 10)), data)
    return buffer.getvalue()


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    """Photos, an exact copy without extension, a near duplicate, a broken JPEG, a text file,
    a zip holding a photo and a tar.gz (holding another photo), each tar flavour, and a
    symlink loop."""
    root = tmp_path / "evidence"
    (root / "sub").mkdir(parents=True)
    for seed in range(4):
        (root / f"photo{seed}.jpg").write_bytes(photo(seed))
    (root / "sub" / "renamed").write_bytes(photo(0))
    (root / "sub" / "smaller.png").write_bytes(encode(resize(0.5)(synthetic_photo(1)), "PNG"))
    (root / "broken.jpg").write_bytes(photo(2)[:400])
    (root / "notes.txt").write_text("not media\n")
    inner = tar_bytes({"deep/photo3.jpg": photo(3)}, "w:gz")
    (root / "bundle.zip").write_bytes(zip_bytes({"a/photo0.jpg": photo(0), "inner.tgz": inner}))
    for mode, name in (("w", "t.tar"), ("w:bz2", "t.tar.bz2"), ("w:xz", "t.tar.xz")):
        (root / name).write_bytes(tar_bytes({f"in-{name}/photo5.jpg": photo(5)}, mode))
    os.symlink("..", root / "sub" / "loop")
    return root
