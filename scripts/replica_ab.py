"""Two commits side by side under one load: each service's two worker replicas, one from this
checkout and one from another, compared by the CPU each spends per event.

Whole benches of two commits run one after the other differ by up to a fifth on a shared machine
(docs/performance.md), more than most changes move them. Here both commits run at the same time,
on the same machine, under the same steady load, so whatever the machine does it does to both.
Replica 1 of each service's worker runs this checkout and replica 2 the other; the load runs;
then the two swap places and it runs again, since the replicas do not get the same share of the
partitions and outbox shards. The work is counted from each replica's own metrics (events it
consumed and processed, events its relay published) and its CPU from /proc.

Usage, with the stack up in the split shape with two worker replicas:

    SUITE_TOPOLOGY=split SUITE_WORKER_REPLICAS=2 make up
    git worktree add ../before <commit>
    (cd ../before && uv sync --frozen --python /usr/bin/python3.11)
    uv run python scripts/replica_ab.py --other ../before --rate 10 --minutes 3

The other checkout must run the same Python as this one (`make setup` syncs with the
distribution's, as above; `.venv/pyvenv.cfg` says which): a slower interpreter's replica would
look like slower code, so the script refuses two different ones.

Events consumed and events published cost different amounts, and the replicas do not always
get the same mix of them (partitions and outbox shards are handed out separately): a run whose
two replicas' mix differed by more than 5 points of published share is left out of the ratio,
and a service left with no run is compared place by place instead: each replica place against
itself across the two runs, when its mix was the same in both (the mix then follows the place,
not the code). That comparison is across time, so the machine's drift between the runs is not
cancelled, and it is labelled so. Billing's and documents' replicas usually share their work
evenly; orders' and inventory's usually do not.

Both commits must read the same databases and topics: a change of schema or contract between
them is not something this can compare. The replicas are left running this checkout at the end.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import bench

SERVICES = ("orders", "inventory", "billing", "documents")
HERE = Path(__file__).resolve().parents[1]
LOG_DIR = bench.RUN_DIR.parent / "logs"
# What the other checkout must not inherit from this one's processes.
NOT_INHERITED = ("VIRTUAL_ENV", "PWD", "OLDPWD")


@dataclass(frozen=True)
class Replica:
    service: str
    number: int

    @property
    def name(self) -> str:
        return f"{self.service}-worker-{self.number}"

    @property
    def pid_file(self) -> Path:
        return bench.RUN_DIR / f"{self.name}.pid"

    def launcher(self) -> int:
        pid = int(self.pid_file.read_text().split()[0])
        if not Path(f"/proc/{pid}").exists():
            raise SystemExit(f"{self.name} is not running (pid {pid}): is the stack up, split?")
        return pid


@dataclass(frozen=True)
class Usage:
    cpu_seconds: float
    consumed: float
    published: float


def children_of(pid: int) -> list[bench.ProcessStat]:
    return [stat for stat in bench.all_processes() if stat.ppid == pid]


def service_process(replica: Replica) -> int:
    """The Python process under the replica's `uv run` launcher."""
    launcher = replica.launcher()
    pythons = [stat.pid for stat in children_of(launcher) if stat.name != "uv"]
    return pythons[0] if pythons else launcher


def port_of(pid: int) -> int:
    arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    return int(arguments[arguments.index(b"--port") + 1])


def checkout_of(pid: int) -> Path:
    """Which checkout a service process runs: it was started as `<checkout>/.venv/bin/python`
    (the link itself: the interpreter it points at is shared)."""
    interpreter = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
    return Path(interpreter).parents[2]


def metrics(port: int) -> tuple[float, float]:
    """(events consumed and processed, events published) from the replica's /metrics."""
    url = f"http://127.0.0.1:{port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        return work_counted(response.read().decode())


def work_counted(text: str) -> tuple[float, float]:
    """(events consumed and processed, events published), summed from Prometheus text."""
    consumed = published = 0.0
    for line in text.splitlines():
        if line.startswith("suite_events_consumed_total{") and 'outcome="processed"' in line:
            consumed += float(line.rsplit(" ", 1)[1])
        elif line.startswith("suite_outbox_published_total{"):
            published += float(line.rsplit(" ", 1)[1])
    return consumed, published


def usages(replicas: list[Replica]) -> dict[Replica, Usage]:
    """Each replica's CPU so far (its process tree, as the bench counts a service's) and work."""
    cpu = bench.ProcessSampler({replica.name: replica.launcher() for replica in replicas}).sample()
    return {
        replica: Usage(cpu[replica.name], *metrics(port_of(service_process(replica))))
        for replica in replicas
    }


def wait_ready(port: int, limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(1)
    raise SystemExit(f"the replica on port {port} was not ready within {limit:.0f} s")


def place(checkouts: dict[Replica, Path]) -> None:
    """Restart each replica that runs another checkout than the one given, with the environment
    and port it runs with now: all of them stopped, then all started, then all waited for."""
    moves = []
    for replica, checkout in checkouts.items():
        running = service_process(replica)
        if checkout_of(running) == checkout:
            continue
        inherited = Path(f"/proc/{running}/environ").read_bytes().split(b"\0")
        environment = dict(item.decode().split("=", 1) for item in inherited if b"=" in item)
        for name in NOT_INHERITED:
            environment.pop(name, None)
        environment["PATH"] = os.environ["PATH"]
        moves.append((replica, checkout, port_of(running), environment, replica.launcher()))
    for *_, launcher in moves:
        os.killpg(launcher, signal.SIGTERM)
    deadline = time.monotonic() + 60
    for *_, launcher in moves:
        while Path(f"/proc/{launcher}").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    uv = shutil.which("uv") or "uv"
    for replica, checkout, port, environment, _ in moves:
        command = [uv, "run", "--no-sync", replica.service, "worker"]
        with (LOG_DIR / f"{replica.name}.log").open("ab") as log:
            started = subprocess.Popen(  # noqa: S603 - the stack's own command, its own values
                [*command, "--host", "127.0.0.1", "--port", str(port)],
                cwd=checkout,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, as the stack's processes have
            )
        replica.pid_file.write_text(f"{started.pid}\n")  # `make down` stops it like the others
    for _, _, port, _, _ in moves:
        wait_ready(port)


def steady_load(rate: float, minutes: float) -> None:
    command = [sys.executable, str(HERE / "scripts" / "bench.py"), "--steady", f"{rate:g}"]
    done = subprocess.run(  # noqa: S603 - our own bench
        [*command, "--minutes", f"{minutes:g}"], cwd=HERE, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"the steady load failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


def measured(rate: float, minutes: float, services: list[str]) -> dict[Replica, Usage]:
    """Each replica's CPU and work over one steady load."""
    replicas = [Replica(service, number) for service in services for number in (1, 2)]
    time.sleep(10)  # the replicas just restarted have joined their groups and settled
    before = usages(replicas)
    steady_load(rate, minutes)
    after = usages(replicas)
    return {
        replica: Usage(
            after[replica].cpu_seconds - before[replica].cpu_seconds,
            after[replica].consumed - before[replica].consumed,
            after[replica].published - before[replica].published,
        )
        for replica in replicas
    }


def per_event_ms(spent: Usage) -> float:
    return 1000 * spent.cpu_seconds / max(spent.consumed + spent.published, 1.0)


def published_share(spent: Usage) -> float:
    return spent.published / max(spent.consumed + spent.published, 1.0)


# Events consumed and events published cost a replica different amounts, and the replicas do
# not get the same share of each (partitions and outbox shards are handed out separately), so
# CPU per event compares two replicas only when their work had about the same mix.
MIX_TOLERANCE = 0.05


def comparable(one: Usage, other: Usage) -> bool:
    return abs(published_share(one) - published_share(other)) <= MIX_TOLERANCE


def paired_ratio(runs: list[tuple[Usage, Usage]]) -> float | None:
    """This checkout's CPU per event over the other's: the geometric mean over the runs whose
    two replicas did comparable work, each given as (this, other); None if none did."""
    ratios = [per_event_ms(this) / per_event_ms(other) for this, other in runs]
    kept = [r for r, (this, other) in zip(ratios, runs, strict=True) if comparable(this, other)]
    return math.prod(kept) ** (1 / len(kept)) if kept else None


def same_place_ratio(this_first: dict[int, Usage], other_first: dict[int, Usage]) -> float | None:
    """This checkout's CPU per event over the other's, each replica place (1, 2) compared with
    itself across the two runs (`this_first`: the run where place 1 ran this checkout) when it
    did comparable work in both: for a service whose mix of work follows the place, not the code.
    The geometric mean over the places kept; None if neither was. Runs one after the other are
    exposed to the machine's drift between them, which the side-by-side ratio cancels."""
    return paired_ratio([(this_first[1], other_first[1]), (other_first[2], this_first[2])])


def interpreter_of(checkout: Path) -> str:
    """The Python a checkout's environment runs (`.venv/pyvenv.cfg`: where, which version)."""
    found = {}
    for line in (checkout / ".venv" / "pyvenv.cfg").read_text().splitlines():
        name, _, value = line.partition("=")
        found[name.strip()] = value.strip()
    return f"{found.get('home', '?')} {found.get('version_info', '?')}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--other", type=Path, required=True, help="the other commit's checkout")
    parser.add_argument("--rate", type=float, default=10.0, help="orders a second (10)")
    parser.add_argument("--minutes", type=float, default=3.0, help="per run (3)")
    parser.add_argument("--services", default=",".join(SERVICES), help="comma-separated")
    arguments = parser.parse_args()
    other = arguments.other.resolve()
    if not (other / ".venv" / "bin" / "python").exists():
        parser.error(f"{other} has no .venv: run `uv sync --frozen` in it first")
    this = HERE
    if interpreter_of(this) != interpreter_of(other):
        # A slower interpreter's replica would look like slower code.
        parser.error(
            f"the checkouts run different Pythons ({interpreter_of(this)} here, "
            f"{interpreter_of(other)} there): in {other}, run "
            f"`uv sync --frozen --python {interpreter_of(this).split()[0]}/python3`"
        )
    services = [service for service in arguments.services.split(",") if service]
    placements = ((this, other), (other, this))  # (replica 1, replica 2) per run
    runs: list[dict[Replica, Usage]] = []
    try:
        for first, second in placements:
            # Both replicas of a service restart together: neither finds the partitions and
            # outbox shards already held by the other.
            place(
                {Replica(service, 1): first for service in services}
                | {Replica(service, 2): second for service in services}
            )
            print(f"run {len(runs) + 1}: replica 1 from {first}, replica 2 from {second}")
            runs.append(measured(arguments.rate, arguments.minutes, services))
    finally:
        place({Replica(service, number): this for service in services for number in (1, 2)})
    print()
    print(f"{'service':<10} {'run':>3} {'code':<6} {'CPU s':>7} {'consumed':>9} {'published':>9}")
    print("-" * 68)
    for service in services:
        pairs = []
        for index, spent in enumerate(runs):
            this_number = 1 if index == 0 else 2
            for number in (1, 2):
                usage_of = spent[Replica(service, number)]
                print(
                    f"{service:<10} {index + 1:>3} "
                    f"{'this' if number == this_number else 'other':<6} "
                    f"{usage_of.cpu_seconds:>7.1f} {usage_of.consumed:>9.0f} "
                    f"{usage_of.published:>9.0f}   {per_event_ms(usage_of):.2f} ms per event, "
                    f"{100 * published_share(usage_of):.0f} % published"
                )
            pairs.append(
                (spent[Replica(service, this_number)], spent[Replica(service, 3 - this_number)])
            )
        paired = paired_ratio(pairs)
        if paired is not None:
            print(f"{service:<10} this / other, CPU per event: {paired:.3f}")
            continue
        placed = same_place_ratio(
            {number: runs[0][Replica(service, number)] for number in (1, 2)},
            {number: runs[1][Replica(service, number)] for number in (1, 2)},
        )
        if placed is None:
            print(f"{service:<10} not comparable: its replicas' work differed in mix in every run")
        else:
            print(
                f"{service:<10} this / other, CPU per event: {placed:.3f} (each place against "
                "itself across the runs: the mix followed the place; not side by side)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
