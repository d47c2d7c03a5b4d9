"""Stacks: exact duplicates (same MD5 and SHA-1) and near duplicates (PDQ within a threshold).

Near duplicates are the connected components of "PDQ distance <= threshold" (inclusive,
in bits) between distinct contents whose PDQ quality is usable, found with the exact
multi-index Hamming search; so a chain of small edits lands in one stack. Each stack's
representative is its largest image (most pixels), then the first path: the examiner
reviews that one. Stack numbers follow the representatives' paths, so the same files
always give the same stacks whatever order they were hashed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mediamatch.algorithms import AlgorithmRegistry, BitStringAlgorithm, HashResult
from mediamatch.errors import UnknownAlgorithm
from mediamatch.index import HammingMultiIndex


@dataclass(frozen=True, slots=True)
class StackInput:
    """One media file: id, path, digests, PDQ text and quality (None for videos), pixel count."""

    file_id: int
    path: str
    md5: str
    sha1: str
    pdq: str | None
    pdq_quality: int | None
    pixels: int


@dataclass(frozen=True, slots=True)
class StackRow:
    file_id: int
    stack: int
    representative: bool
    near: bool


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        first, second = self.find(a), self.find(b)
        if first != second:
            self.parent[max(first, second)] = min(first, second)


def _near_links(
    contents: list[list[StackInput]], registry: AlgorithmRegistry, threshold: int, groups: _UnionFind
) -> None:
    algorithm = registry.get("pdq")
    if not isinstance(algorithm, BitStringAlgorithm):
        raise UnknownAlgorithm("near-duplicate stacks need the bit-string PDQ algorithm")
    usable = [
        (number, algorithm.parse(files[0].pdq))
        for number, files in enumerate(contents)
        if files[0].pdq is not None
        and algorithm.is_usable(HashResult(algorithm.parse(files[0].pdq), files[0].pdq_quality))
    ]
    index = HammingMultiIndex(algorithm)
    index.add([number for number, _ in usable], [value for _, value in usable])
    index.rebuild()
    for number, value in usable:
        for found in index.search(value, threshold):
            groups.union(number, found.id)


def build_stacks(files: Sequence[StackInput], registry: AlgorithmRegistry, threshold: int) -> list[StackRow]:
    """Every file's stack; one representative per stack."""
    by_content: dict[tuple[str, str], list[StackInput]] = {}
    for item in sorted(files, key=lambda f: f.path):
        by_content.setdefault((item.md5, item.sha1), []).append(item)
    contents = list(by_content.values())
    groups = _UnionFind(len(contents))
    _near_links(contents, registry, threshold, groups)
    components: dict[int, list[int]] = {}
    for number in range(len(contents)):
        components.setdefault(groups.find(number), []).append(number)
    stacks = []
    for members in components.values():
        stacked = [item for number in members for item in contents[number]]
        representative = min(stacked, key=lambda f: (-f.pixels, f.path))
        stacks.append((representative, stacked, len(members) > 1))
    stacks.sort(key=lambda stack: stack[0].path)
    return [
        StackRow(item.file_id, number, item is representative, near)
        for number, (representative, stacked, near) in enumerate(stacks, start=1)
        for item in stacked
    ]
