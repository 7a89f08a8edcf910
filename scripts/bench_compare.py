"""Whole benches side by side: the figures of `make bench JSON=…` files, grouped by label.

Usage:

    uv run python scripts/bench_compare.py before=a.json before=c.json after=b.json after=d.json
    uv run python scripts/bench_compare.py a.json b.json     # each file a group of its own

For every figure it prints each run's value, each group's median and, with two groups, the
second's median over the first's. Whole benches on a shared machine drift by up to a fifth
between runs minutes apart (docs/performance.md), so a difference is called `better` or `worse`
only when every run of one group beats every run of the other (higher rates, lower times, CPU
and statements) and a split that clean would arise by chance at most one time in ten: three
runs a side or more (two a side split cleanly one time in three whatever the code: `apart`).
Otherwise `overlap`. Alternate the groups' runs (before, after, before, after, …) so that both
meet the same drift. Each figure is a test of its own: the script ends by counting the figures
it called against how many chance alone would (some thirty figures at 1 in 30 is one), and a
floor called means the machine moved between the groups. Besides the
bench's own figures: each process's CPU seconds in the full life, each service's statements per
order (with the stack's `PG_STATEMENT_STATS=1`) and the highest share of the machine's time the
host took in any phase (steal), which says which runs were not on a quiet host.

Only the whole bench's JSON is compared; a steady run's (`--steady`) has other figures.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# A clean split between two groups is called a difference when it is this unlikely by chance:
# three runs a side (1 in 10) or more.
CHANCE = 0.1
# Units of figures where less is better; every other figure is a rate.
LOWER_IS_BETTER = frozenset({"ms", "s", "CPU s", "per order", "% steal"})


@dataclass(frozen=True)
class Run:
    label: str
    path: Path
    figures: dict[str, tuple[float, str]]  # name → (value, unit)


def figures_of(data: dict[str, Any]) -> dict[str, tuple[float, str]]:
    """A bench JSON's figures by name: its table's rows, each process's CPU seconds in the full
    life, each service's statements per order, and the highest steal of any phase."""
    found: dict[str, tuple[float, str]] = {}
    for row in data["rows"]:
        if row["value"] is not None:
            found[row["figure"]] = (float(row["value"]), row["unit"])
    for name, process in data.get("processes", {}).items():
        if process.get("cpu_seconds_life") is not None:
            found[f"full life: CPU of {name}"] = (float(process["cpu_seconds_life"]), "CPU s")
    for service, counted in (data.get("statements") or {}).items():
        found[f"full life: statements of {service}"] = (float(counted["per_order"]), "per order")
    steals = [float(phase["steal"]) for phase in (data.get("host_cpu") or {}).values()]
    if steals:
        found["the host's steal, highest phase"] = (max(steals), "% steal")
    return found


def load(argument: str) -> Run:
    """`label=path` or a path (then its name is the label)."""
    label, _, path = argument.rpartition("=")
    file = Path(path)
    data = json.loads(file.read_text())
    if "rows" not in data:
        raise SystemExit(f"{file} is not a whole bench's JSON (a steady run's has other figures)")
    return Run(label or file.stem, file, figures_of(data))


def verdict(first: list[float], second: list[float], unit: str) -> str:
    """Whether the second group beat the first in every run (`better`) or lost in every run
    (`worse`), with the chance of a split as clean between groups of those sizes whatever the
    code (the exact two-sided rank test: 2 / C(n + m, n)); `apart` when that chance is above
    `CHANCE`, which two runs a side always is (1 in 3); `overlap` when neither group won."""
    return judged(first, second, unit)[0]


def judged(first: list[float], second: list[float], unit: str) -> tuple[str, float | None]:
    """`verdict`'s words, and the chance of the split when it calls a difference (else None)."""
    if len(first) < 2 or len(second) < 2:
        return "", None
    if unit in LOWER_IS_BETTER:
        first, second = [-value for value in first], [-value for value in second]
    if min(second) > max(first):
        direction = "better"
    elif max(second) < min(first):
        direction = "worse"
    else:
        return "overlap", None
    chance = 2 / math.comb(len(first) + len(second), len(first))
    if chance > CHANCE:
        return f"apart, too few runs to tell (chance {chance:.2f})", None
    return f"{direction} (chance {chance:.2f})", chance


def shown(value: float) -> str:
    """Three significant digits, or a whole number when it has more digits than that."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


@dataclass(frozen=True)
class Compared:
    """One figure across the runs: each group's cell, and the second group's over the first's."""

    name: str
    unit: str
    cells: list[str]
    compared: str  # the ratio and its verdict, or nothing
    called_at: float | None  # the chance of its split when a difference is called


def comparisons(runs: list[Run]) -> list[Compared]:
    labels = list(dict.fromkeys(run.label for run in runs))
    names = list(dict.fromkeys(name for run in runs for name in run.figures))
    found = []
    for name in names:
        unit = next(run.figures[name][1] for run in runs if name in run.figures)
        groups = [
            [run.figures[name][0] for run in runs if run.label == label and name in run.figures]
            for label in labels
        ]
        cells = [
            f"{shown(statistics.median(values))} ({', '.join(shown(v) for v in values)})"
            if values
            else "—"
            for values in groups
        ]
        compared, called_at = "", None
        if len(labels) == 2 and all(groups) and statistics.median(groups[0]) != 0:
            ratio = statistics.median(groups[1]) / statistics.median(groups[0])
            words, called_at = judged(groups[0], groups[1], unit)
            compared = f"{ratio:.3f} {words}".rstrip()
        found.append(Compared(name[:56], unit, cells, compared, called_at))
    return found


def table(runs: list[Run]) -> list[str]:
    labels = list(dict.fromkeys(run.label for run in runs))
    rows = comparisons(runs)
    titles = [f"{label}: median (runs)" for label in labels]
    widths = [
        max(len(title), *(len(row.cells[index]) for row in rows))
        for index, title in enumerate(titles)
    ]
    header = f"{'figure':<56} {'unit':<9} " + "  ".join(
        title.ljust(width) for title, width in zip(titles, widths, strict=True)
    )
    if len(labels) == 2:
        header += f"  {labels[1]} / {labels[0]}"
    lines = [header.rstrip(), "-" * len(header)]
    for row in rows:
        line = f"{row.name:<56} {row.unit:<9} " + "  ".join(
            cell.ljust(width) for cell, width in zip(row.cells, widths, strict=True)
        )
        lines.append(f"{line}  {row.compared}".rstrip())
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("runs", nargs="+", metavar="[LABEL=]FILE", help="bench JSON files")
    arguments = parser.parse_args(argv)
    runs = [load(argument) for argument in arguments.runs]
    for run in runs:
        print(f"{run.label}: {run.path}")
    print()
    print("\n".join(table(runs)))
    rows = comparisons(runs)
    called = [row.called_at for row in rows if row.called_at is not None]
    if called:
        # Each figure is a test of its own: among some thirty, one may split cleanly by chance.
        print(
            f"\n{len(called)} of {len(rows)} figures called; at the chance shown, about "
            f"{len(rows) * max(called):.1f} could be by chance alone, and a floor called says "
            "the machine moved between the groups."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
