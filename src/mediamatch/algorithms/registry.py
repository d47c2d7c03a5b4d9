"""The algorithm registry: built-ins and third-party plug-ins register the same way.

Third-party packages expose a zero-argument factory returning a
``HashAlgorithm`` under the ``mediamatch.algorithms`` entry-point group. A name
registered twice fails at start-up with ``DuplicateAlgorithm``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from importlib.metadata import entry_points

from mediamatch.algorithms.base import HashAlgorithm, HashValue
from mediamatch.algorithms.digests import Md5Algorithm, Sha1Algorithm, Sha256Algorithm
from mediamatch.algorithms.gradgrid import GradGridAlgorithm
from mediamatch.algorithms.pdq import PdqAlgorithm
from mediamatch.algorithms.vpdq import VpdqAlgorithm
from mediamatch.errors import DuplicateAlgorithm, InvalidHash, UnknownAlgorithm

ENTRY_POINT_GROUP = "mediamatch.algorithms"

BUILTIN_FACTORIES: tuple[Callable[[], HashAlgorithm], ...] = (
    PdqAlgorithm,
    GradGridAlgorithm,
    Md5Algorithm,
    Sha1Algorithm,
    Sha256Algorithm,
    VpdqAlgorithm,
)


class AlgorithmRegistry:
    """Name -> algorithm instance, with parsing and formatting of self-describing hash texts."""

    def __init__(self, algorithms: Iterable[HashAlgorithm] = ()) -> None:
        self._by_name: dict[str, HashAlgorithm] = {}
        for algorithm in algorithms:
            self.register(algorithm)

    def register(self, algorithm: HashAlgorithm) -> None:
        """Add an algorithm; raises DuplicateAlgorithm if its name is taken."""
        if algorithm.name in self._by_name:
            raise DuplicateAlgorithm(f"algorithm {algorithm.name!r} is registered twice")
        self._by_name[algorithm.name] = algorithm

    def get(self, name: str) -> HashAlgorithm:
        """The algorithm called ``name``; raises UnknownAlgorithm listing the known names."""
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(self.names()) or "none"
            raise UnknownAlgorithm(f"unknown algorithm {name!r} (known: {known})") from None

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def __iter__(self) -> Iterator[HashAlgorithm]:
        return iter(self._by_name[name] for name in self.names())

    def format(self, value: HashValue) -> str:
        """Self-describing text ``name:canonical``, for example ``pdq:f8f8...``."""
        return f"{value.algorithm}:{self.get(value.algorithm).format(value)}"

    def parse(self, text: str) -> HashValue:
        """Parse ``name:canonical`` text; a bare hash without its algorithm is refused."""
        name, separator, body = text.strip().partition(":")
        if not separator:
            raise InvalidHash("hash text must name its algorithm, as in 'pdq:<hex>'")
        return self.get(name.strip().lower()).parse(body)


def load_plugins(registry: AlgorithmRegistry) -> None:
    """Register every algorithm advertised under the ``mediamatch.algorithms`` entry points."""
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        factory = entry_point.load()
        registry.register(factory())


def default_registry(*, plugins: bool = True) -> AlgorithmRegistry:
    """A fresh registry holding the built-ins and, unless disabled, installed plug-ins."""
    registry = AlgorithmRegistry(factory() for factory in BUILTIN_FACTORIES)
    if plugins:
        load_plugins(registry)
    return registry
