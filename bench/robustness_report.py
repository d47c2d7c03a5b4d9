"""Tables, notes and the chart of bench/robustness.py."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt


@dataclass
class Column:
    name: str
    threshold: str
    values: npt.NDArray[np.float64]


def print_table(transforms: Sequence[str], columns: Sequence[Column]) -> None:
    print("| transform | " + " | ".join(f"{c.name} ({c.threshold})" for c in columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for index, name in enumerate(transforms):
        print(f"| {name} | " + " | ".join(f"{c.values[index]:.2f}" for c in columns) + " |")
    print(
        "| **mean (excluding identity)** | "
        + " | ".join(f"**{c.values[1:].mean():.3f}**" for c in columns)
        + " |"
    )


def print_notes(hashed: Mapping[str, Any], timing: Mapping[str, Any], files: tuple[float, float]) -> None:
    """Hashes per entry and per query, bank size and query time relative to plain PDQ."""
    print()
    sizes = {}
    pdq_plain = timing["pdq"].plain_ms
    for name, ((_, query_usable, _), (bank_vectors, bank_usable, _)) in hashed.items():
        length = bank_vectors.shape[2]
        sizes[name] = (length, bank_usable.sum(axis=1).mean())
        t = timing[name]
        print(
            f"- {name}: {length} bytes a hash; {sizes[name][1]:.2f} stored hashes an entry with regions "
            f"(quality-gated); {query_usable.sum(axis=1).mean():.1f} usable query hashes a query with the "
            f"stage (at most {query_usable.shape[1]}); from decoded pixels: plain {t.plain_ms:.1f} ms, "
            f"+query {t.query_ms:.1f} ms, +query+regions {t.regions_ms:.1f} ms a query "
            f"({t.query_ms / pdq_plain:.2f}x and {t.regions_ms / pdq_plain:.2f}x "
            f"plain PDQ's {pdq_plain:.1f} ms)"
        )
    pdq_bytes = sizes["pdq"][0]
    default_bytes = pdq_bytes + sizes["gradgrid144"][0] * sizes["gradgrid144"][1]
    print(
        f"- engine default (PDQ +query OR gradgrid +query+regions): bank {default_bytes:.0f} bytes an entry "
        f"= {default_bytes / pdq_bytes:.1f}x plain PDQ's {pdq_bytes}; a file (JPEG q90, decode included): "
        f"plain PDQ {files[0]:.1f} ms, default {files[1]:.1f} ms = {files[1] / files[0]:.2f}x"
    )


def write_chart(transforms: Sequence[str], columns: Sequence[Column], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    wanted = (
        "PDQ plain",
        "PDQ +query",
        "PDQ plain OR gradgrid plain",
        "PDQ +query OR gradgrid +query+regions",
    )
    shown = [c for c in columns if c.name in wanted]
    rows = np.arange(len(transforms))
    height = 0.8 / len(shown)
    figure, axes = plt.subplots(figsize=(8, 0.28 * len(transforms) + 1.2), dpi=80)
    for number, column in enumerate(shown):
        axes.barh(rows + number * height, column.values, height, label=column.name)
    axes.set_yticks(rows + 0.4 - height / 2, transforms, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, 1)
    axes.set_xlabel("recall at <= 1 false match per million unrelated pairs")
    axes.axvline(0.95, color="grey", linewidth=0.6, linestyle=":")
    axes.axvline(0.80, color="grey", linewidth=0.6, linestyle=":")
    axes.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
