from __future__ import annotations

from collections.abc import Sequence

import pytest

from mediamatch.algorithms import AlgorithmRegistry, PdqAlgorithm, default_registry
from mediamatch.algorithms import registry as registry_module
from mediamatch.errors import DuplicateAlgorithm, InvalidHash, UnknownAlgorithm

BUILTIN_NAMES = ["gradgrid144", "md5", "pdq", "sha1", "sha256", "vpdq"]


def test_builtin_names_are_pinned() -> None:
    assert default_registry(plugins=False).names() == BUILTIN_NAMES


def test_duplicate_names_fail_at_registration() -> None:
    registry = AlgorithmRegistry([PdqAlgorithm()])
    with pytest.raises(DuplicateAlgorithm):
        registry.register(PdqAlgorithm())


def test_unknown_names_list_the_known_ones() -> None:
    with pytest.raises(UnknownAlgorithm, match="pdq"):
        default_registry().get("photodna")


def test_self_describing_text_round_trips_and_bare_hashes_are_refused() -> None:
    registry = default_registry()
    text = "pdq:" + PdqAlgorithm().examples()[0]
    assert registry.format(registry.parse(text)) == text
    assert registry.format(registry.parse(" PDQ:" + text[4:].upper())) == text
    with pytest.raises(InvalidHash):
        registry.parse(text[4:])


class _FakeEntryPoint:
    def __init__(self, factory: object) -> None:
        self._factory = factory

    def load(self) -> object:
        return self._factory


class _PluginHash(PdqAlgorithm):
    name = "plugin-hash"


def test_plugins_register_through_the_same_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_entry_points(group: str) -> Sequence[_FakeEntryPoint]:
        assert group == "mediamatch.algorithms"
        return [_FakeEntryPoint(_PluginHash)]

    monkeypatch.setattr(registry_module, "entry_points", fake_entry_points)
    assert default_registry().names() == sorted([*BUILTIN_NAMES, "plugin-hash"])


def test_a_plugin_reusing_a_builtin_name_fails_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_module, "entry_points", lambda group: [_FakeEntryPoint(PdqAlgorithm)])
    with pytest.raises(DuplicateAlgorithm):
        default_registry()
