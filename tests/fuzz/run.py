"""Run one fuzz target with atheris: ``python -m tests.fuzz.run TARGET [libFuzzer options]``.

For example ``python -m tests.fuzz.run ncmec-xml -runs=20000 -max_len=4096 -timeout=5``. The
target's seeds are written to a fresh corpus folder first (or pass your own folder last), and
findings go to a folder beside it unless ``-artifact_prefix=`` says otherwise. The
project's modules are instrumented for coverage; the exit status is libFuzzer's (0: no finding).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["mediamatch"]):
    from tests.fuzz.targets import TARGETS, seeds


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in TARGETS:
        sys.exit(f"usage: python -m tests.fuzz.run TARGET [libFuzzer options]; targets: {', '.join(TARGETS)}")
    name, options = argv[1], argv[2:]
    target = TARGETS[name]
    corpus = Path(tempfile.mkdtemp(prefix=f"fuzz-{name}-"))
    for number, seed in enumerate(seeds(name)):
        (corpus / f"seed{number}").write_bytes(seed)
    if not any(option.startswith("-artifact_prefix=") for option in options):
        # libFuzzer writes crash-* files into the working directory by default, which is the
        # repository root; keep findings beside the corpus instead, and say where.
        findings = corpus.with_name(corpus.name + "-findings")
        findings.mkdir()
        options = [*options, f"-artifact_prefix={findings}/"]
        print(f"findings, if any, go to {findings}", file=sys.stderr)
    atheris.Setup([argv[0], *options, str(corpus)], lambda data: target(bytes(data)))
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
