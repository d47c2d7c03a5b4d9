"""Reading a case back: every file with its hashes, stack and matches, in path order.

All outputs (HTML, CSV, JSON, VICS) render from one ``CaseView``, so they agree. Nothing
here depends on the order files were hashed in: files are ordered by path (then their
position inside an archive), stacks by number.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from mediamatch.scan.casedb import CaseDB

CLASSIFICATION_ORDER = ("A1", "A2", "B1", "B2")
"""Most severe first, as the industry scale ranks them; unclassified matches come last."""


@dataclass(frozen=True, slots=True)
class MatchView:
    bank: str
    entry_id: int
    external_id: str | None
    classification: str | None
    algorithm: str
    distance: int
    suppressed: bool
    vics_category: int | None


@dataclass(slots=True)
class FileView:
    id: int
    unit_path: str
    path: str
    size: int
    modified: float | None
    changed: float | None
    accessed: float | None
    kind: str
    type_name: str | None
    status: str
    md5: str | None
    sha1: str | None
    width: int | None
    height: int | None
    error_kind: str | None
    error_message: str | None
    note: str | None
    hashes: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    variants: dict[str, list[tuple[str, str, int | None]]] = field(default_factory=dict)
    """The resilience stage's query hashes by algorithm: (label, hash, quality)."""
    stack: int | None = None
    representative: bool = False
    near: bool = False
    matches: list[MatchView] = field(default_factory=list)

    @property
    def counted_matches(self) -> list[MatchView]:
        return [m for m in self.matches if not m.suppressed]

    @property
    def classification(self) -> str | None:
        """The most severe classification among counted matches ("unclassified" when none is given)."""
        found = {m.classification for m in self.counted_matches}
        if not found:
            return None
        return next((c for c in CLASSIFICATION_ORDER if c in found), "unclassified")


@dataclass(slots=True)
class CaseView:
    settings: dict[str, Any]
    files: list[FileView]
    passed_over: list[tuple[str, str]]

    def stacks(self) -> dict[int, list[FileView]]:
        """Stack number -> files, representative first."""
        found: dict[int, list[FileView]] = {}
        for item in self.files:
            if item.stack is not None:
                found.setdefault(item.stack, []).append(item)
        for members in found.values():
            members.sort(key=lambda f: not f.representative)
        return dict(sorted(found.items()))

    def summary(self) -> dict[str, int]:
        kinds = Counter(f.kind for f in self.files)
        statuses = Counter(f.status for f in self.files)
        classes = Counter(f.classification for f in self.files if f.classification)
        return {
            "files": len(self.files),
            "bytes": sum(f.size for f in self.files),
            **{f"kind_{kind}": kinds.get(kind, 0) for kind in ("image", "video", "archive", "other")},
            **{f"status_{status}": statuses.get(status, 0) for status in ("hashed", "ignored", "error")},
            "unique_media": len({f.md5 for f in self.files if f.stack is not None}),
            "stacks": len({f.stack for f in self.files if f.stack is not None}),
            "matched_files": sum(1 for f in self.files if f.counted_matches),
            **{f"matched_{name}": classes.get(name, 0) for name in (*CLASSIFICATION_ORDER, "unclassified")},
            "passed_over": len(self.passed_over),
        }


_FILES_QUERY = """
SELECT f.id, u.path, f.path, f.size, f.modified, f.changed, f.accessed, f.kind, f.type_name, f.status,
       f.md5, f.sha1, f.width, f.height, f.error_kind, f.error_message, f.note
FROM files f JOIN units u ON u.id = f.unit_id ORDER BY u.path, u.first_member, f.position
"""


def load_view(case: CaseDB) -> CaseView:
    db = case.connection
    files = [FileView(*row) for row in db.execute(_FILES_QUERY)]
    by_id = {f.id: f for f in files}
    for file_id, algorithm, text, quality, variant in db.execute(
        "SELECT file_id, algorithm, hash, quality, variant FROM hashes ORDER BY rowid"
    ):
        if variant:
            by_id[file_id].variants.setdefault(algorithm, []).append((variant, text, quality))
        else:
            by_id[file_id].hashes[algorithm] = (text, quality)
    for file_id, stack, representative, near in db.execute("SELECT * FROM stacks"):
        item = by_id[file_id]
        item.stack, item.representative, item.near = stack, bool(representative), bool(near)
    rows = db.execute("SELECT * FROM matches ORDER BY file_id, distance, bank, entry_id, algorithm")
    for file_id, *values in rows:
        values[6] = bool(values[6])
        by_id[file_id].matches.append(MatchView(*values))
    passed = list(db.execute("SELECT path, reason FROM passed_over ORDER BY path"))
    return CaseView(case.settings(), files, passed)
