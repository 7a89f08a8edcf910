"""What scripts/bench_compare.py reads from bench JSON files and when it calls a difference."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .conftest import script_module


@pytest.fixture(scope="module")
def compare() -> Iterator[ModuleType]:
    with script_module("bench_compare") as module:
        yield module


def bench_json(life: float, box_ms: float, steal: float = 0.0) -> dict[str, Any]:
    """A whole bench's JSON as `bench.py --json` writes it, cut down to a few figures."""
    return {
        "rows": [
            {"figure": "full life, 200 orders at once", "value": life, "unit": "orders/s"},
            {"figure": "full life: box CPU per order", "value": box_ms, "unit": "ms"},
            {"figure": "a figure the run could not take", "value": None, "unit": "ms"},
        ],
        "processes": {"orders": {"cpu_seconds": 9.0, "cpu_seconds_life": 3.5}},
        "statements": {"documents": {"per_order": 9.0, "top": []}},
        "host_cpu": {"full life": {"steal": steal}, "creates": {"steal": steal / 2}},
    }


def written(directory: Path, name: str, data: dict[str, Any]) -> Path:
    path = directory / f"{name}.json"
    path.write_text(json.dumps(data))
    return path


def test_a_runs_figures_are_its_rows_its_processes_statements_and_steal(
    compare: ModuleType, tmp_path: Path
) -> None:
    run = compare.load(f"after={written(tmp_path, 'one', bench_json(22.0, 80.0, steal=3.0))}")
    assert run.label == "after"
    assert run.figures == {
        "full life, 200 orders at once": (22.0, "orders/s"),
        "full life: box CPU per order": (80.0, "ms"),
        "full life: CPU of orders": (3.5, "CPU s"),
        "full life: statements of documents": (9.0, "per order"),
        "the host's steal, highest phase": (3.0, "% steal"),
    }
    assert compare.load(str(written(tmp_path, "two", bench_json(1, 1)))).label == "two"


def test_a_steady_runs_json_is_refused(compare: ModuleType, tmp_path: Path) -> None:
    steady = written(tmp_path, "steady", {"run": {"rate": 10}, "memory": {}})
    with pytest.raises(SystemExit, match="not a whole bench"):
        compare.load(str(steady))


def test_a_difference_is_called_only_when_every_run_beats_every_other_three_times_a_side(
    compare: ModuleType,
) -> None:
    verdict = compare.verdict
    assert verdict([20.0, 21.0, 20.5], [22.0, 23.0, 21.5], "orders/s") == "better (chance 0.10)"
    assert verdict([20.0, 21.0, 20.5], [19.0, 18.0, 19.5], "orders/s") == "worse (chance 0.10)"
    assert verdict([20.0, 23.0, 21.0], [22.0, 24.0, 25.0], "orders/s") == "overlap"
    # Less is better for times; four a side: 2 / C(8, 4).
    fewer = verdict([80.0, 82.0, 81.0, 83.0], [75.0, 79.0, 78.0, 77.0], "ms")
    assert fewer == f"better (chance {2 / 70:.2f})"
    # Two a side split cleanly one time in three whatever the code.
    two = verdict([20.0, 21.0], [22.0, 23.0], "orders/s")
    assert two == "apart, too few runs to tell (chance 0.33)"
    assert verdict([80.0], [75.0], "ms") == ""  # one run each cannot tell


def test_the_table_gives_each_groups_median_and_the_second_over_the_first(
    compare: ModuleType, tmp_path: Path
) -> None:
    runs = [
        compare.load(f"{label}={written(tmp_path, f'{label}{n}', bench_json(life, box))}")
        for n, (label, life, box) in enumerate(
            [
                ("before", 20.0, 90.0),
                ("after", 24.0, 84.0),
                ("before", 22.0, 86.0),
                ("after", 25.0, 88.0),
            ]
        )
    ]
    lines = compare.table(runs)
    [life] = [line for line in lines if line.startswith("full life, 200 orders")]
    assert "21 (20, 22)" in life
    assert "24.5 (24, 25)" in life
    assert life.endswith(f"{24.5 / 21:.3f} apart, too few runs to tell (chance 0.33)")
    [box] = [line for line in lines if line.startswith("full life: box CPU")]
    assert box.endswith(f"{86 / 88:.3f} overlap")


def test_the_figures_called_are_counted_against_what_chance_would_call(
    compare: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [
        f"{label}={written(tmp_path, f'{label}{n}', bench_json(life, 80.0 + n % 3))}"
        for n, (label, life) in enumerate(
            [
                ("before", 20.0),
                ("after", 24.0),
                ("before", 21.0),
                ("after", 25.0),
                ("before", 22.0),
                ("after", 26.0),
            ]
        )
    ]
    assert compare.main(files) == 0
    printed = capsys.readouterr().out
    assert "better (chance 0.10)" in printed  # the life, three runs a side
    assert "1 of 5 figures called" in printed
