"""The machine's CPU shares per phase, read from /proc/stat: busy, idle, iowait and steal."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest


def write_stat(path: Path, user: int, system: int, idle: int, iowait: int, steal: int) -> Path:
    # user nice system idle iowait irq softirq steal guest guest_nice, then the per-core lines
    path.write_text(
        f"cpu  {user} 0 {system} {idle} {iowait} 0 0 {steal} 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n"
    )
    return path


def test_shares_between_two_readings(bench: ModuleType, tmp_path: Path) -> None:
    start = bench.read_host_cpu(write_stat(tmp_path / "a", 100, 50, 1000, 10, 5))
    end = bench.read_host_cpu(write_stat(tmp_path / "b", 160, 70, 1100, 10, 25))
    # 60 user + 20 system busy, 100 idle, 0 iowait, 20 steal: 200 ticks
    assert bench.host_cpu_shares(start, end) == {
        "busy": 40.0,
        "idle": 50.0,
        "iowait": 0.0,
        "steal": 10.0,
    }


def test_no_time_between_readings_gives_no_shares(bench: ModuleType, tmp_path: Path) -> None:
    reading = bench.read_host_cpu(write_stat(tmp_path / "a", 1, 1, 1, 1, 1))
    assert bench.host_cpu_shares(reading, reading) is None


def test_an_unreadable_or_foreign_stat_file_gives_none(bench: ModuleType, tmp_path: Path) -> None:
    assert bench.read_host_cpu(tmp_path / "missing") is None
    (tmp_path / "other").write_text("intr 1 2 3\n")
    assert bench.read_host_cpu(tmp_path / "other") is None


def test_the_sampler_gives_each_phase_its_shares(
    bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench, "all_processes", list)
    readings = iter(
        [
            {**dict.fromkeys(bench.HOST_CPU_STATES, 0), "user": 10, "idle": 10},
            {**dict.fromkeys(bench.HOST_CPU_STATES, 0), "user": 40, "idle": 20, "steal": 10},
        ]
    )
    monkeypatch.setattr(bench, "read_host_cpu", lambda: next(readings))
    sampler = bench.ProcessSampler({})
    sampler.mark("full life start")
    sampler.mark("full life end")
    shares = bench.phase_host_cpu(sampler, ["full life", "single orders"])
    assert shares == {"full life": {"busy": 60.0, "idle": 20.0, "iowait": 0.0, "steal": 20.0}}


def test_shares_within_a_phase_follow_it(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench, "all_processes", list)
    idle = {**dict.fromkeys(bench.HOST_CPU_STATES, 0), "idle": 10}
    readings = iter([idle, {**idle, "user": 10}, idle, {**idle, "idle": 20}])
    monkeypatch.setattr(bench, "read_host_cpu", lambda: next(readings))
    sampler = bench.ProcessSampler({})
    for mark in ("create + burst start", "create + burst end", "full life start", "full life end"):
        sampler.mark(mark)
    burst = {"busy": 90.0, "idle": 10.0, "iowait": 0.0, "steal": 0.0}
    shares = bench.phase_host_cpu(
        sampler,
        ["create + burst", "full life"],
        {"create + burst": {"the burst": burst, "the creates": None}},
    )
    assert list(shares) == ["create + burst", "the burst", "full life"]
    assert shares["create + burst"]["busy"] == 100.0
    assert shares["full life"]["idle"] == 100.0


def test_a_phase_the_host_took_time_from_is_pointed_out(bench: ModuleType) -> None:
    quiet = {"busy": 95.0, "idle": 4.9, "iowait": 0.0, "steal": 0.1}
    stolen = {"busy": 70.0, "idle": 6.0, "iowait": 0.0, "steal": 24.0}
    notes = bench.stolen_phases({"full life": quiet, "  the burst, to its last reserved": stolen})
    assert notes == [
        "note: the host took 24 % of the machine's time during the burst, to its last reserved; "
        "its figures are not comparable with a run on a quiet host"
    ]


def test_the_table_ends_with_the_notes(
    bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    bench.print_host_cpu(
        {
            "kafka floor": {"busy": 60.0, "idle": 27.0, "iowait": 0.0, "steal": 13.0},
            "full life": {"busy": 95.0, "idle": 4.9, "iowait": 0.0, "steal": 0.1},
        }
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[-3].split() == ["kafka", "floor", "60.0", "27.0", "0.0", "13.0"]
    assert lines[-1].startswith("note: the host took 13 % of the machine's time during kafka")
