"""Measure the running suite against floors taken on the same box in the same run.

Usage: `make bench` while `make up` runs (`make bench QUICK=1` for a tiny run that finishes in
seconds, `make bench JSON=bench.json` to keep the figures), or
`uv run python scripts/bench.py [--quick] [--json FILE]` with `. deploy/local/env.sh` sourced.
The service processes are found from the pid files in $SUITE_STATE_DIR/run (env.sh sets it to
the checkout's .local).

Floors: PostgreSQL (pgbench TPC-B when installed, else an asyncpg insert loop; plus the latency of
a one-row transaction), a raw aiokafka producer (1 KiB, acks=all, idempotent) and the one-hop
latency produce → consume on a topic of its own (deleted afterwards), and a raw reportlab loop
rendering a one-page invoice like the documents service's. The suite: order create over HTTP,
confirm → reserved for a burst and for single orders, the full life of N orders at once, PDFs/s,
and the CPU seconds and peak RSS of every service process; with `--creates N` a phase of warm
creates, with `--inbound N` one of N orders submitted at once on orders.inbound. Every figure
is printed next to its floor and the ratio of the two; `--json` writes the same. Figures are
never asserted.

Steady rate (`--steady RATE --minutes M`, e.g. `make bench BENCH_ARGS="--steady 10 --minutes
10"`): nothing of the above but full lives started at RATE a second for M minutes whether or not
the earlier ones are done (at most --max-in-flight at a time; a start that waits counts as fallen
behind), the services' RSS sampled every few seconds; prints RSS per minute, each service's growth
after the first minute (and its least-squares slope in MiB/min), the rates achieved and the
per-order latency.

Only loopback addresses are used; every loop is bounded and every wait has a timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import io
import ipaddress
import itertools
import json
import math
import os
import platform
import re
import resource
import shutil
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from demo import URLS, DemoError, headers_for

REPO_ROOT = Path(__file__).resolve().parent.parent
KAFKA_BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
POSTGRES_ADMIN_URL = os.environ.get(
    "POSTGRES_ADMIN_URL", "postgresql://postgres:postgres@127.0.0.1:55432/postgres"
)
RUN_DIR = Path(os.environ.get("SUITE_STATE_DIR", str(REPO_ROOT / ".local"))) / "run"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
BENCH_DATABASE = "suite_bench_floor"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
MIB = 1024 * 1024


class BenchError(RuntimeError):
    pass


@dataclasses.dataclass(frozen=True)
class Sizes:
    """How much each measurement does; `quick()` is the tiny version CI may run."""

    burst_orders: int = 300
    single_orders: int = 30
    life_orders: int = 200
    http_concurrency: int = 32
    kafka_messages: int = 20_000
    kafka_hops: int = 200
    pg_seconds: int = 10
    pg_clients: int = 8
    pg_transactions: int = 200
    pdfs: int = 100
    poll_interval: float = 0.1
    # Products the orders are spread over, round robin: 1 makes every order's stock row the
    # same hot one (the default, and the harder case); more measures the suite without it.
    skus: int = 1
    # A phase of its own for order creates (`--creates N`; 0 leaves it out): N creates at the
    # HTTP concurrency after `creates_warmup` unmeasured ones, with the CPU each took.
    creates: int = 0
    creates_warmup: int = 150
    # A phase of its own for orders other systems submit (`--inbound N`; 0 leaves it out): N
    # `order.submitted` events put on orders.inbound at once, as a shop's day arrives, each
    # asking for its order to be confirmed; their customers, matched by e-mail, are this many.
    inbound: int = 0
    inbound_customers: int = 20
    # A phase of its own for a receipt that ends a stock-out (`--backlog N`; 0 leaves it out):
    # N orders submitted for a product with no stock wait for it, then one receipt covers them.
    backlog: int = 0
    settle_seconds: float = 2.0
    phase_timeout: float = 300.0

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            burst_orders=10,
            single_orders=3,
            life_orders=5,
            kafka_messages=1_000,
            kafka_hops=20,
            pg_seconds=2,
            pg_transactions=30,
            pdfs=5,
            creates_warmup=10,
            settle_seconds=0.5,
            phase_timeout=40.0,
        )


# Where the creates phase's measured creates start and end, among the sampler's marks.
CREATES_START, CREATES_END = "creates measured start", "creates measured end"
# Where the inbound phase's submissions start and the last of their orders is reserved.
INBOUND_START, INBOUND_END = "inbound submitted", "inbound all reserved"
# Where the backlog phase's receipt is sent and the last order it served is seen reserved.
BACKLOG_START, BACKLOG_END = "backlog receipt sent", "backlog all reserved"


# ---------------------------------------------------------------------------------------------
# Small helpers


def now() -> float:
    return time.perf_counter()


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p99 of 30 samples is the largest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def latency_summary(seconds: list[float]) -> dict[str, float]:
    return {
        "p50_ms": percentile(seconds, 0.50) * 1000,
        "p99_ms": percentile(seconds, 0.99) * 1000,
        "mean_ms": statistics.fmean(seconds) * 1000 if seconds else float("nan"),
        "samples": len(seconds),
    }


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def refuse_remote_addresses() -> None:
    """The bench loads what it talks to: it only ever talks to this machine."""
    hosts = {name: urlsplit(url).hostname for name, url in URLS.items()}
    hosts["postgres"] = urlsplit(POSTGRES_ADMIN_URL).hostname
    for index, server in enumerate(KAFKA_BOOTSTRAP.split(",")):
        hosts[f"kafka #{index + 1}"] = server.rsplit(":", 1)[0]
    remote = {name: host for name, host in hosts.items() if not is_loopback(host)}
    if remote:
        raise BenchError(f"the bench only runs against loopback addresses; not: {remote}")


# ---------------------------------------------------------------------------------------------
# Service processes: CPU seconds and peak RSS, read from /proc


@dataclasses.dataclass
class ProcessStat:
    pid: int
    ppid: int
    name: str
    cpu_seconds: float
    rss_bytes: int


def read_stat(pid: int) -> ProcessStat | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: split after the last one.
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    # fields[0] is field 3 of proc(5): ppid 4, utime 14, stime 15, cutime 16, cstime 17, rss 24
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
    return ProcessStat(
        pid=pid,
        ppid=int(fields[1]),
        name=name,
        cpu_seconds=ticks / CLOCK_TICKS,
        rss_bytes=int(fields[21]) * PAGE_BYTES,
    )


def all_processes() -> list[ProcessStat]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = read_stat(int(entry.name))
            if stat is not None:
                found.append(stat)
    return found


def service_pid_files() -> dict[str, int]:
    """The services' launcher pids from stack.sh's pid files (`orders`, `orders-worker-1`, …)."""
    pids: dict[str, int] = {}
    if not RUN_DIR.is_dir():
        return pids
    for file in sorted(RUN_DIR.glob("*.pid")):
        if file.stem.startswith("kafka"):
            continue
        with contextlib.suppress(OSError, ValueError):
            pid = int(file.read_text().split()[0])
            if Path(f"/proc/{pid}").exists():
                pids[file.stem] = pid
    return pids


def infrastructure_roots(processes: list[ProcessStat]) -> dict[str, int]:
    """PostgreSQL's and Kafka's root processes on this machine, for their CPU: each postmaster
    (a `postgres` whose parent is not one; `postgresql-2`… if several clusters run) and the
    broker stack.sh started (its pid file), when they are here."""
    names = {stat.pid: stat.name for stat in processes}
    roots: dict[str, int] = {}
    postmasters = sorted(
        stat.pid
        for stat in processes
        if stat.name == "postgres" and names.get(stat.ppid) != "postgres"
    )
    for number, pid in enumerate(postmasters, start=1):
        roots["postgresql" if number == 1 else f"postgresql-{number}"] = pid
    with contextlib.suppress(OSError, ValueError):
        kafka = int((RUN_DIR / "kafka.pid").read_text().split()[0])
        if kafka in names:
            roots["kafka"] = kafka
    return roots


def is_infrastructure(name: str) -> bool:
    return name == "kafka" or name.startswith("postgresql")


# The whole machine's CPU time by state, from the first line of /proc/stat (proc(5)): what
# shares of the cores the phases ran with. On a virtual machine "steal" is the time the host gave
# the cores to someone else; while it is high the same work costs more CPU seconds and the
# rates drop, which is why two runs of the same code can differ by a fifth.
HOST_CPU_STATES = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


def read_host_cpu(stat_file: Path = Path("/proc/stat")) -> dict[str, int] | None:
    """The machine's CPU ticks by state since boot; None where /proc/stat cannot be read."""
    try:
        first = stat_file.read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    if not first or first[0] != "cpu":
        return None
    ticks = [int(value) for value in first[1 : 1 + len(HOST_CPU_STATES)]]
    ticks += [0] * (len(HOST_CPU_STATES) - len(ticks))  # an old kernel: no steal column
    return dict(zip(HOST_CPU_STATES, ticks, strict=True))


def shares_since(start: dict[str, int] | None) -> dict[str, float] | None:
    """The machine's CPU shares from the reading `start` until now (None without readings)."""
    end = read_host_cpu()
    return None if start is None or end is None else host_cpu_shares(start, end)


def host_cpu_shares(start: dict[str, int], end: dict[str, int]) -> dict[str, float] | None:
    """Percentages of the machine's CPU time between two readings: busy (every state but idle,
    iowait and steal), idle, iowait and steal; None if no time passed."""
    spent = {state: end[state] - start[state] for state in HOST_CPU_STATES}
    total = sum(spent.values())
    if total <= 0:
        return None
    waiting = ("idle", "iowait", "steal")
    busy = total - sum(spent[state] for state in waiting)
    return {"busy": 100 * busy / total, **{state: 100 * spent[state] / total for state in waiting}}


@dataclasses.dataclass
class ProcessUsage:
    launcher_pid: int
    cpu_seconds: float = 0.0
    peak_rss_bytes: int = 0
    pids: set[int] = dataclasses.field(default_factory=set)


class ProcessSampler:
    """Samples every service's process tree (the `uv run` launcher and the Python under it),
    and PostgreSQL's and Kafka's (`infrastructure_roots`) for their CPU alone.

    CPU counts the whole tree, children that already exited included (their time is in their
    parent's cutime); RSS leaves out the launcher, which only waits. `rss_history` keeps every
    sample's RSS per service: (when, {service: bytes}). PostgreSQL's RSS would count its shared
    memory once per backend, so no infrastructure RSS is kept.
    """

    def __init__(self, launchers: dict[str, int], interval: float = 0.5) -> None:
        self.launchers = launchers
        self.interval = interval
        self.usage = {name: ProcessUsage(pid) for name, pid in launchers.items()}
        self.marks: dict[str, dict[str, float]] = {}
        self.host_marks: dict[str, dict[str, int]] = {}
        self.rss_history: list[tuple[float, dict[str, int]]] = []
        self._task: asyncio.Task[None] | None = None

    def sample(self) -> dict[str, float]:
        processes = all_processes()
        children: dict[int, list[ProcessStat]] = {}
        by_pid = {stat.pid: stat for stat in processes}
        for stat in processes:
            children.setdefault(stat.ppid, []).append(stat)
        cpu: dict[str, float] = {}
        rss_now: dict[str, int] = {}
        for name, usage in self.usage.items():
            root = by_pid.get(usage.launcher_pid)
            if root is None:
                continue
            tree, stack = [], [root]
            while stack:
                stat = stack.pop()
                tree.append(stat)
                stack.extend(children.get(stat.pid, []))
            usage.pids.update(stat.pid for stat in tree)
            usage.cpu_seconds = sum(stat.cpu_seconds for stat in tree)
            cpu[name] = usage.cpu_seconds
            if is_infrastructure(name):
                continue
            rss = sum(stat.rss_bytes for stat in tree if stat.name != "uv")
            usage.peak_rss_bytes = max(usage.peak_rss_bytes, rss)
            rss_now[name] = rss
        self.rss_history.append((now(), rss_now))
        own = resource.getrusage(resource.RUSAGE_SELF)
        cpu["bench client"] = own.ru_utime + own.ru_stime
        return cpu

    def mark(self, label: str) -> None:
        self.marks[label] = self.sample()
        host = read_host_cpu()
        if host is not None:
            self.host_marks[label] = host

    def host_between(self, start: str, end: str) -> dict[str, float] | None:
        """The machine's CPU shares between two marks (`host_cpu_shares`), when both were read."""
        if start not in self.host_marks or end not in self.host_marks:
            return None
        return host_cpu_shares(self.host_marks[start], self.host_marks[end])

    def between(self, start: str, end: str) -> dict[str, float]:
        first, last = self.marks[start], self.marks[end]
        return {name: last[name] - first[name] for name in last if name in first}

    async def _run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


# ---------------------------------------------------------------------------------------------
# Floors


async def pg_connect(database: str | None = None) -> asyncpg.Connection:
    url = POSTGRES_ADMIN_URL
    if database is not None:
        url = urlsplit(url)._replace(path=f"/{database}").geturl()
    return await asyncio.wait_for(asyncpg.connect(url), timeout=10)


def pgbench_path() -> str | None:
    found = shutil.which("pgbench")
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))
    return str(candidates[-1]) if candidates else None


async def run_pgbench(pgbench: str, args: list[str], limit_seconds: float) -> str:
    url = urlsplit(POSTGRES_ADMIN_URL)
    env = {
        **os.environ,
        "PGHOST": url.hostname or "127.0.0.1",
        "PGPORT": str(url.port or 5432),
        "PGUSER": url.username or "postgres",
        "PGPASSWORD": url.password or "",
        "PGDATABASE": BENCH_DATABASE,
    }
    process = await asyncio.create_subprocess_exec(
        pgbench,
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=limit_seconds)
    except TimeoutError:
        process.kill()
        await process.wait()
        command = " ".join(args)
        raise BenchError(f"pgbench {command} did not finish in {limit_seconds:.0f} s") from None
    text = output.decode(errors="replace")
    if process.returncode != 0:
        raise BenchError(f"pgbench {' '.join(args)} failed:\n{text[-1500:]}")
    return text


async def one_row_transaction(connection: asyncpg.Connection) -> float:
    """Insert one row and commit; how long that took."""
    started = now()
    async with connection.transaction():
        await connection.execute("INSERT INTO bench_rows (payload) VALUES ($1)", "x" * 100)
    return now() - started


def pgbench_figures(output: str) -> tuple[float, float]:
    """tps and the average latency in ms from pgbench's report."""
    tps = re.search(r"tps = ([0-9.]+)", output)
    latency = re.search(r"latency average = ([0-9.]+) ms", output)
    if tps is None or latency is None:
        raise BenchError(f"no tps or latency in pgbench's output:\n{output[-1500:]}")
    return float(tps.group(1)), float(latency.group(1))


async def insert_loop(connection: asyncpg.Connection, until: float) -> int:
    """One-row transactions back to back until `until`; how many."""
    count = 0
    while now() < until:
        await one_row_transaction(connection)
        count += 1
    return count


async def postgres_floor(sizes: Sizes) -> dict[str, Any]:
    """TPC-B tps (pgbench, else concurrent asyncpg inserts) and one-row transaction latency."""
    admin = await pg_connect()
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
        result: dict[str, Any] = {}
        connections = [await pg_connect(BENCH_DATABASE) for _ in range(sizes.pg_clients)]
        try:
            await connections[0].execute(
                "CREATE TABLE bench_rows (id bigserial PRIMARY KEY, payload text NOT NULL)"
            )
            # Latency of a lone transaction: one connection, nothing else running.
            latencies = [
                await one_row_transaction(connections[0]) for _ in range(sizes.pg_transactions)
            ]
            result["transaction"] = latency_summary(latencies)
            pgbench = pgbench_path()
            if pgbench is not None:
                timeout = sizes.pg_seconds + 120
                await run_pgbench(pgbench, ["-i", "-q", "-s", "1"], timeout)
                clients = str(sizes.pg_clients)
                output = await run_pgbench(
                    pgbench, ["-c", clients, "-j", "2", "-T", str(sizes.pg_seconds)], timeout
                )
                tps, latency = pgbench_figures(output)
                result["throughput"] = {
                    "tool": f"pgbench TPC-B, scale 1, {clients} clients, {sizes.pg_seconds} s",
                    "tps": tps,
                    "latency_average_ms": latency,
                }
                # One client alone: what one TPC-B transaction costs when nothing queues.
                seconds = str(max(1, sizes.pg_seconds // 2))
                output = await run_pgbench(pgbench, ["-c", "1", "-T", seconds], timeout)
                _, result["tpcb_one_client_ms"] = pgbench_figures(output)
            else:
                until = now() + sizes.pg_seconds
                started = now()
                runs = await asyncio.gather(*(insert_loop(c, until) for c in connections))
                elapsed = now() - started
                result["throughput"] = {
                    "tool": f"asyncpg one-row inserts, {sizes.pg_clients} connections "
                    "(pgbench not installed)",
                    "tps": sum(runs) / elapsed,
                    "latency_average_ms": None,
                }
        finally:
            for connection in connections:
                await connection.close()
        return result
    finally:
        with contextlib.suppress(Exception):
            await admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        await admin.close()


async def kafka_floor(sizes: Sizes) -> dict[str, Any]:
    """A raw idempotent producer's throughput and the one-hop latency on a topic of its own."""
    topic = f"bench-floor-{uuid.uuid4().hex[:12]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA_BOOTSTRAP, request_timeout_ms=15_000)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        producer = AIOKafkaProducer(
            bootstrap_servers=KAFKA_BOOTSTRAP,
            acks="all",
            enable_idempotence=True,
            request_timeout_ms=30_000,
        )
        consumer = AIOKafkaConsumer(
            bootstrap_servers=KAFKA_BOOTSTRAP,
            enable_auto_commit=False,
            fetch_max_wait_ms=100,
        )
        await producer.start()
        await consumer.start()
        try:
            payload = os.urandom(512).hex().encode()  # 1 KiB
            keys = [str(uuid.uuid4()).encode() for _ in range(64)]
            await producer.send_and_wait(topic, payload, key=keys[0])  # metadata and warm-up
            started = now()
            pending = [
                await producer.send(topic, payload, key=keys[index % len(keys)])
                for index in range(sizes.kafka_messages)
            ]
            await asyncio.wait_for(asyncio.gather(*pending), timeout=120)
            elapsed = now() - started

            partition = TopicPartition(topic, 0)
            consumer.assign([partition])
            await consumer.seek_to_end(partition)
            hops: list[float] = []
            for _ in range(sizes.kafka_hops):
                sent = now()
                await producer.send(topic, payload, key=keys[0])
                await asyncio.wait_for(consumer.getone(partition), timeout=10)
                hops.append(now() - sent)
        finally:
            await consumer.stop()
            await producer.stop()
        return {
            "topic": topic,
            "messages": sizes.kafka_messages,
            "message_bytes": len(payload),
            "producer_msgs_per_s": sizes.kafka_messages / elapsed,
            "one_hop": latency_summary(hops),
        }
    finally:
        with contextlib.suppress(Exception):
            await admin.delete_topics([topic])
        await admin.close()


def reportlab_invoice(regular: str, bold: str, number: int) -> bytes:
    """A one-page invoice built the way the documents service builds one (platypus, embedded
    TrueType fonts, a facts table, two address columns, the lines, the totals, a footer)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    base = ParagraphStyle("base", fontName=regular, fontSize=9.5, leading=12.5)
    strong = ParagraphStyle("strong", parent=base, fontName=bold)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=colors.grey)
    title = ParagraphStyle("title", parent=base, fontName=bold, fontSize=18, leading=22)
    width = A4[0] - 36 * mm
    grid = [("FONTNAME", (0, 0), (-1, -1), regular), ("VALIGN", (0, 0), (-1, -1), "TOP")]

    facts = Table(  # plain strings, as the service prints short facts
        [
            ["Invoice no.", f"INV-2026-{number:06d}"],
            ["Issue date", "2026-12-01"],
            ["Due date", "2026-12-31"],
            ["Order no.", f"SO-2026-{number:06d}"],
            ["Currency", "EUR"],
        ],
        colWidths=[26 * mm, width * 0.45 - 26 * mm],
    )
    facts.setStyle(
        TableStyle(
            [
                *grid,
                ("FONTSIZE", (0, 0), (0, -1), small.fontSize),
                ("LEADING", (0, 0), (0, -1), small.leading),
                ("TEXTCOLOR", (0, 0), (0, -1), small.textColor),
                ("FONTSIZE", (1, 0), (1, -1), base.fontSize),
                ("LEADING", (1, 0), (1, -1), base.leading),
            ]
        )
    )
    company = [
        Paragraph("Example Trading GmbH", strong),
        Paragraph("Hauptstraße 5<br/>10115 Berlin<br/>Germany<br/>VAT DE123456789", base),
    ]
    head = Table(
        [[company, [Paragraph("Invoice", title), Spacer(1, 2 * mm), facts]]],
        colWidths=[width * 0.55, width * 0.45],
    )
    head.setStyle(TableStyle(grid))
    bill = [
        Paragraph("Bill to", strong),
        Paragraph("Ferretería Núñez y Ко", strong),
        Paragraph("Calle Mayor 1<br/>28013 Madrid<br/>Spain", base),
        Paragraph("compras@example.com", small),
    ]
    ship = [Paragraph("Ship to", strong), Paragraph("Calle Mayor 1<br/>28013 Madrid", base)]
    parties = Table([[bill, ship]], colWidths=[width * 0.55, width * 0.45])
    parties.setStyle(TableStyle(grid))
    # Short cells (the header, the numbers and SKUs, the totals) as plain strings and the
    # descriptions as paragraphs, as the service prints them.
    rows: list[list[Any]] = [
        ["#", "SKU", "Description", "Qty", "Price", "Net"],
        ["1", "DRILL-18V", Paragraph("Cordless drill 18 V", base), "3", "89.90", "269.70"],
        ["2", "SETUP", Paragraph("Installation and training", base), "1", "120.00", "120.00"],
    ]
    strings = [
        ("FONTSIZE", (0, 0), (-1, -1), base.fontSize),
        ("LEADING", (0, 0), (-1, -1), base.leading),
    ]
    lines = Table(rows, colWidths=[8 * mm, 24 * mm, None, 14 * mm, 22 * mm, 24 * mm])
    lines.setStyle(
        TableStyle(
            [
                *grid,
                *strings,
                ("FONTNAME", (0, 0), (-1, 0), bold),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                ("ALIGN", (3, 0), (-1, -1), "RIGHT"),
            ]
        )
    )
    totals = Table(
        [["Net", "389.70"], ["VAT 21 % on 389.70", "81.84"], ["Total EUR", "471.54"]],
        colWidths=[50 * mm, 30 * mm],
        hAlign="RIGHT",
    )
    totals.setStyle(TableStyle([*grid, *strings, ("ALIGN", (1, 0), (1, -1), "RIGHT")]))

    def footer(canvas: Any, _: Any) -> None:
        canvas.saveState()
        canvas.setFont(regular, 7.5)
        canvas.drawString(
            18 * mm, 12 * mm, "Example Trading GmbH · IBAN DE02 1001 0010 0123 4567 89"
        )
        canvas.drawRightString(A4[0] - 18 * mm, 12 * mm, "Page 1 of 1")
        canvas.restoreState()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=16 * mm,
        bottomMargin=22 * mm,
        title=f"Invoice INV-2026-{number:06d}",
        invariant=1,
    )
    story = [
        head,
        Spacer(1, 8 * mm),
        parties,
        Spacer(1, 6 * mm),
        Paragraph("Thank you for your order. We invoice you as follows.", base),
        Spacer(1, 5 * mm),
        lines,
        Spacer(1, 4 * mm),
        totals,
        Spacer(1, 6 * mm),
        Paragraph("Payment terms", strong),
        Paragraph("Net 30 days", base),
        Paragraph("Please pay EUR 471.54 by 2026-12-31 quoting the invoice number.", base),
    ]
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def reportlab_floor(sizes: Sizes) -> dict[str, Any]:
    """PDFs/s of a plain loop in this process, one core, nothing in the way."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    regular, bold = "Helvetica", "Helvetica-Bold"
    font = Path(os.environ.get("DOCUMENTS_FONT_PATH", str(FONT_DIR / "DejaVuSans.ttf")))
    font_bold = Path(
        os.environ.get("DOCUMENTS_FONT_BOLD_PATH", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    )
    if font.is_file() and font_bold.is_file():
        regular, bold = "BenchSans", "BenchSans-Bold"
        pdfmetrics.registerFont(TTFont(regular, str(font)))
        pdfmetrics.registerFont(TTFont(bold, str(font_bold)))
    reportlab_invoice(regular, bold, 0)  # fonts parsed, caches warm, as in a running service
    started = now()
    size = 0
    for number in range(1, sizes.pdfs + 1):
        size = len(reportlab_invoice(regular, bold, number))
    elapsed = now() - started
    return {
        "pdfs": sizes.pdfs,
        "pdfs_per_s": sizes.pdfs / elapsed,
        "ms_per_pdf": elapsed / sizes.pdfs * 1000,
        "pdf_bytes": size,
        "font": regular,
    }


# ---------------------------------------------------------------------------------------------
# The suite over HTTP


class Api:
    """One service's HTTP client; at most `concurrency` requests in flight.

    aiohttp rather than httpx: the bench shares the box's cores with what it measures, and an
    httpx request cost the client ~2 ms of CPU against ~0.4 ms with aiohttp (docs/performance.md).
    """

    def __init__(self, service: str, role: str, concurrency: int) -> None:
        self.service = service
        self.client = aiohttp.ClientSession(
            base_url=URLS[service],
            headers=headers_for(role),
            timeout=aiohttp.ClientTimeout(total=30),
            # Idle connections are dropped before the servers' 5 s keep-alive ends: one reused
            # while its server closes it fails the request and the run.
            connector=aiohttp.TCPConnector(limit=concurrency + 4, keepalive_timeout=2.0),
        )
        self.gate = asyncio.Semaphore(concurrency)

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        async with self.gate:
            return await self._answer(method, path, **kwargs)

    async def timed(self, method: str, path: str, **kwargs: Any) -> tuple[Any, float, float]:
        """The answer, when the request went out (after waiting for the gate) and its latency."""
        async with self.gate:
            started = now()
            body = await self._answer(method, path, **kwargs)
            return body, started, now() - started

    async def status(self, path: str) -> int:
        """Only the status of a GET (outside the gate: a readiness probe, not load)."""
        async with self.client.get(path) as response:
            await response.read()
            return response.status

    async def _answer(self, method: str, path: str, **kwargs: Any) -> Any:
        async with self.client.request(method, path, **kwargs) as response:
            body = await response.read()
            if response.status >= 400:
                raise BenchError(
                    f"{method} {self.service} {path} answered {response.status}: "
                    f"{body.decode(errors='replace')}"
                )
            return json.loads(body) if body else None

    async def pages(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every item of a list, page after page (bounded)."""
        items: list[dict[str, Any]] = []
        cursor = None
        for _ in range(1000):
            paging = {"limit": 200} | ({"cursor": cursor} if cursor else {})
            page = await self.call("GET", path, params={**params, **paging})
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return items
        raise BenchError(f"more than 1000 pages of {path}")

    async def aclose(self) -> None:
        await self.client.close()


class Watcher:
    """A background task that polls a service while someone waits for something to show up."""

    def __init__(self, label: str, interval: float) -> None:
        self.label = label
        self.interval = interval
        self.polls = 0
        self.poll_seconds = 0.0
        self._task: asyncio.Task[None] | None = None

    def waiting_futures(self) -> list[asyncio.Future[float]]:
        raise NotImplementedError

    async def poll(self) -> float:
        """Look once and resolve what showed up; returns how long to pause before the next look."""
        raise NotImplementedError

    def _ensure_running(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            pause = self.interval
            if self.waiting_futures():
                sent = now()
                try:
                    pause = await self.poll()
                except (BenchError, aiohttp.ClientError, TimeoutError) as exc:
                    for future in self.waiting_futures():
                        if not future.done():
                            future.set_exception(BenchError(f"polling {self.label}: {exc}"))
                    self.clear()
                self.polls += 1
                self.poll_seconds += now() - sent
            await asyncio.sleep(pause)

    def clear(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


class PendingWatcher(Watcher):
    """Polls a list of orders in one state (e.g. `fulfilment=reserving`), in the summary view;
    an order that was expected to leave it and no longer shows up has moved on. Lists of pending
    orders stay short, so polling costs the services little."""

    def __init__(self, api: Api, path: str, params: dict[str, Any], interval: float) -> None:
        super().__init__(f"orders {params}", interval)
        self.api, self.path, self.params = api, path, params
        self.waiting: dict[str, tuple[float, asyncio.Future[float]]] = {}
        # By order: when the last poll that still listed it was sent. The order left the state
        # after that (the poll's answer was read after it was sent) and before it was seen out
        # of it, so the two bound when it left.
        self.last_listed: dict[str, float] = {}

    def expect(self, order_id: str) -> asyncio.Future[float]:
        """Call once the order is in the state; resolves with when it was seen out of it."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[order_id] = (now(), future)
        self._ensure_running()
        return future

    def waiting_futures(self) -> list[asyncio.Future[float]]:
        return [future for _, future in self.waiting.values()]

    def clear(self) -> None:
        self.waiting.clear()

    async def poll(self) -> float:
        sent = now()
        # The summary view: the watcher needs the ids alone, and whole orders cost the
        # service it measures several times more to answer.
        params = {**self.params, "view": "summary"}
        present = {order["id"] for order in await self.api.pages(self.path, params)}
        seen = now()
        for order_id, (since, future) in list(self.waiting.items()):
            if order_id in present:
                self.last_listed[order_id] = sent
            # A poll sent before the order entered the state proves nothing.
            elif since < sent:
                del self.waiting[order_id]
                if not future.done():
                    future.set_result(seen)
        # The service being measured answers the polls: a slow answer (a long list, a busy
        # service) spaces them out, up to a second apart.
        return max(self.interval, min(1.0, 2 * (seen - sent)))


def topic_name(name: str) -> str:
    """A topic of the suite by its catalogue name, with the deployment's prefix."""
    return os.environ.get("KAFKA_TOPIC_PREFIX", "") + name


async def consumer_at_end(*topics: str) -> AIOKafkaConsumer:
    """A consumer of `topics` positioned at their end now: what is published from now on is
    read. No group: every partition is assigned to it, and nothing is committed."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=KAFKA_BOOTSTRAP,
        enable_auto_commit=False,
        auto_offset_reset="latest",
        fetch_max_wait_ms=100,
        request_timeout_ms=30_000,
    )
    await consumer.start()
    try:
        for _ in range(300):
            assigned = consumer.assignment()
            if {partition.topic for partition in assigned} >= set(topics):
                break
            await asyncio.sleep(0.1)
        else:
            raise BenchError(
                f"not every partition of {topics} assigned within 30 s: is the suite up?"
            )
        for partition in assigned:  # the end now, not at the first read, which could be later
            await consumer.position(partition)
    except BaseException:
        await consumer.stop()
        raise
    return consumer


class EventWatcher(Watcher):
    """Follows topics of the suite on Kafka from their end at `start`: `note` records what each
    event says, `resolve` answers the waiting futures from what was recorded. The topics rather
    than the services' APIs: the services measured should not pay for being watched."""

    def __init__(self, label: str, interval: float, *topics: str) -> None:
        super().__init__(label, interval)
        self.topics = topics
        self.waiting: list[tuple[Any, ...]] = []  # each ends with its future
        self.consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        """Positions at the end of the topics: what is published from now on is read."""
        self.consumer = await consumer_at_end(*self.topics)

    def _wait_for(self, *what: Any) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting.append((*what, future))
        self._ensure_running()
        return future

    def waiting_futures(self) -> list[asyncio.Future[float]]:
        return [future for *_, future in self.waiting]

    def clear(self) -> None:
        self.waiting.clear()

    def note(self, value: bytes | None, seen_at: float) -> None:
        raise NotImplementedError

    def resolve(self) -> None:
        raise NotImplementedError

    async def poll(self) -> float:
        if self.consumer is None:
            raise BenchError(f"the {self.label} watcher was not started")
        batches = await self.consumer.getmany(timeout_ms=int(self.interval * 1000))
        seen_at = now()
        for records in batches.values():
            for record in records:
                self.note(record.value, seen_at)
        self.resolve()
        return 0.0  # the read itself waits for events

    async def stop(self) -> None:
        await super().stop()
        if self.consumer is not None:
            await self.consumer.stop()
            self.consumer = None


# The events that say a PDF of an order exists, and the kind each one names.
DOCUMENT_EVENT_KINDS: dict[str, str | None] = {
    "suite.document.generated.v1": None,  # the kind is in the payload
    "suite.delivery_note.generated.v1": "delivery_note",
}


class DocumentWatcher(EventWatcher):
    """Follows the documents service's events: which PDFs exist for which order, when each was
    made (the event's time, stamped in the transaction that stored the document) and when the
    bench learnt of it.

    The topic rather than `GET /documents`: reading the list again ten times a second (a page of
    200 documents costs the documents process ~13 ms of CPU) took a quarter to over a third of
    its CPU in a full life.
    """

    def __init__(self, interval: float) -> None:
        super().__init__("documents", interval, topic_name("documents.events"))
        self.seen: set[str] = set()
        self.by_order: dict[str, dict[str, tuple[datetime, float]]] = {}

    def expect(self, order_id: str, kinds: Iterable[str]) -> asyncio.Future[float]:
        return self._wait_for(order_id, frozenset(kinds))

    def created(self, order_ids: Iterable[str], kind: str | None = None) -> list[datetime]:
        return [
            created
            for order_id in order_ids
            for document_kind, (created, _) in self.by_order.get(order_id, {}).items()
            if kind is None or document_kind == kind
        ]

    def note(self, value: bytes | None, seen_at: float) -> None:
        """Records the document an event announces (its first announcement only)."""
        event = json.loads(value or b"null")
        if not isinstance(event, dict) or event.get("type") not in DOCUMENT_EVENT_KINDS:
            return
        data = event["data"]
        if data["document_id"] in self.seen:
            return  # a new rendition of a document already seen
        self.seen.add(data["document_id"])
        kind = DOCUMENT_EVENT_KINDS[event["type"]] or data["kind"]
        created = datetime.fromisoformat(event["time"])
        self.by_order.setdefault(data["order_id"], {})[kind] = (created, seen_at)

    def resolve(self) -> None:
        still = []
        for order_id, kinds, future in self.waiting:
            have = self.by_order.get(order_id, {})
            if not kinds <= have.keys():
                still.append((order_id, kinds, future))
            elif not future.done():
                future.set_result(max(have[kind][1] for kind in kinds))
        self.waiting = still


# What the bench sees of a submitted order on the suite's topics: orders created and confirmed
# it, and inventory reserved its stock or could not.
ORDER_CREATED, ORDER_CONFIRMED = "suite.order.created.v1", "suite.order.confirmed.v1"
STOCK_RESERVED, RESERVATION_FAILED = "suite.stock.reserved.v1", "suite.stock.reservation_failed.v1"
SUBMISSION_STEPS = ("created", "confirmed", "reserved")


class SubmissionWatcher(EventWatcher):
    """Follows orders.events and inventory.events, as an integrator reads them: for each
    submitted external reference, its order and when the bench learnt that orders created and
    confirmed it and that inventory reserved its stock. With `backorders_expected`, an order
    inventory could not reserve has reached the step "backordered" (its stock may come later);
    otherwise it fails the phase."""

    def __init__(self, interval: float, *, backorders_expected: bool = False) -> None:
        topics = (topic_name("orders.events"), topic_name("inventory.events"))
        super().__init__("submitted orders", interval, *topics)
        self.backorders_expected = backorders_expected
        self.order_of: dict[str, str] = {}  # external reference → order id
        self.seen: dict[str, dict[str, float]] = {}  # order id → step → when the bench saw it
        self.failed: dict[str, list[Any]] = {}  # order id → inventory's shortages

    def expect(self, reference: str, step: str) -> asyncio.Future[float]:
        """Resolves with when the bench saw the order submitted as `reference` reach `step`."""
        return self._wait_for(reference, step)

    def note(self, value: bytes | None, seen_at: float) -> None:
        """Records the step an event announces (the first time only: a redelivery is no news)."""
        event = json.loads(value or b"null")
        data = event.get("data") if isinstance(event, dict) else None
        if not isinstance(data, dict):
            return
        kind = event["type"]
        if kind == ORDER_CREATED and data.get("external_reference"):
            order_id = data["order"]["order_id"]
            self.order_of.setdefault(data["external_reference"], order_id)
            self.seen.setdefault(order_id, {}).setdefault("created", seen_at)
        elif kind == ORDER_CONFIRMED:
            self.seen.setdefault(data["order"]["order_id"], {}).setdefault("confirmed", seen_at)
        elif kind == STOCK_RESERVED:
            self.seen.setdefault(data["order_id"], {}).setdefault("reserved", seen_at)
        elif kind == RESERVATION_FAILED:
            self.failed[data["order_id"]] = data.get("shortages", [])
            self.seen.setdefault(data["order_id"], {}).setdefault("backordered", seen_at)

    def resolve(self) -> None:
        """Resolve what the events read so far answer, in whatever order they came."""
        still = []
        for reference, step, future in self.waiting:
            order_id = self.order_of.get(reference)
            steps = self.seen.get(order_id, {}) if order_id is not None else {}
            shortages = self.failed.get(order_id) if order_id is not None else None
            if shortages is not None and step == "reserved" and not self.backorders_expected:
                future.set_exception(BenchError(f"{reference} not reserved: short of {shortages}"))
            elif step in steps:
                future.set_result(steps[step])
            else:
                still.append((reference, step, future))
        self.waiting = still


def submitted_order(reference: str, email: str, sku: str) -> bytes:
    """An `order.submitted` event as another system puts it on orders.inbound (structured
    CloudEvents JSON, `libs/contracts/schemas/suite.order.submitted.v1.json`), asking for the
    order to be confirmed at once."""
    event = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "/bench/shop",
        "type": "suite.order.submitted.v1",
        "time": datetime.now().astimezone().isoformat(),
        "subject": reference,
        "datacontenttype": "application/json",
        "data": {
            "external_reference": reference,
            "customer": {"name": f"Bench shop customer {email.split('@')[0]}", "email": email},
            **order_content(sku),
            "confirm": True,
        },
    }
    return json.dumps(event).encode()


async def submit(references: list[str], messages: list[bytes]) -> None:
    """Put `messages` on orders.inbound, each keyed by its reference, all at once, as another
    system does; returns once the broker has them all."""
    producer = AIOKafkaProducer(
        bootstrap_servers=KAFKA_BOOTSTRAP,
        acks="all",
        enable_idempotence=True,
        request_timeout_ms=30_000,
    )
    await producer.start()
    try:
        topic = topic_name("orders.inbound")
        sending = [
            await producer.send(topic, message, key=reference.encode())
            for reference, message in zip(references, messages, strict=True)
        ]
        await asyncio.gather(*sending)
    finally:
        await producer.stop()


def pdfs_per_second(created: list[datetime]) -> float | None:
    """Documents' own pace: PDFs after the first over the time between first and last."""
    if len(created) < 2:
        return None
    span = (max(created) - min(created)).total_seconds()
    return (len(created) - 1) / span if span > 0 else None


def order_content(sku: str) -> dict[str, Any]:
    """What every order of the bench holds, whether created over HTTP or submitted: a product
    and a service line."""
    return {
        "currency": "EUR",
        "customer_reference": "BENCH",
        "payment_terms": {"days": 30, "text": "Net 30 days"},
        "lines": [
            order_line(sku, "product", "Cordless drill 18 V", "89.90"),
            order_line("SETUP", "service", "Installation and training", "120.00"),
        ],
    }


def order_line(sku: str, kind: str, description: str, unit_price: str) -> dict[str, str]:
    return {
        "sku": sku,
        "kind": kind,
        "description": description,
        "quantity": "1",
        "unit_price": unit_price,
        "tax_rate": "21",
    }


class Suite:
    """The four services over HTTP, with one product in stock and one customer per scenario."""

    def __init__(self, sizes: Sizes) -> None:
        self.sizes = sizes
        concurrency = sizes.http_concurrency
        self.orders = Api("orders", "sales", concurrency)
        self.inventory = Api("inventory", "warehouse", concurrency)
        # The watchers poll on connections of their own, not queued behind the load.
        self.observer = Api("orders", "viewer", 4)
        batch = uuid.uuid4().hex[:8].upper()
        self.skus = (
            [f"BENCH-{batch}-{n}" for n in range(sizes.skus)]
            if sizes.skus > 1
            else [f"BENCH-{batch}"]
        )
        self.sku_of: dict[str, str] = {}
        self._next_sku = itertools.cycle(self.skus)
        self.docs = DocumentWatcher(sizes.poll_interval)
        self.watchers: list[Watcher] = [self.docs]

    async def aclose(self) -> None:
        await self.docs.stop()
        for api in (self.orders, self.inventory, self.observer):
            await api.aclose()

    async def prepare(self) -> None:
        sizes = self.sizes
        orders = sizes.burst_orders + sizes.single_orders + sizes.life_orders + sizes.inbound
        units = orders * 2 + 10
        for sku in self.skus:
            await self.inventory.call(
                "PUT", f"/products/{sku}", json={"name": "Bench drill", "kind": "product"}
            )
            await self.inventory.call(
                "POST",
                "/stock/adjustments",
                json={"sku": sku, "kind": "receipt", "quantity": str(units), "reason": "bench"},
            )
        for sku in self.skus:
            await self.known_to_orders(sku)
        await self.docs.start()

    async def known_to_orders(self, sku: str) -> None:
        """Wait until orders' catalogue view has the product: order lines name items it knows."""
        for _ in range(120):
            if await self.orders.status(f"/items/{sku}") == 200:
                return
            await asyncio.sleep(0.5)

    async def new_customer(self, label: str) -> str:
        customer = await self.orders.call(
            "POST",
            "/customers",
            json={
                "name": f"Bench {label} {uuid.uuid4().hex[:6]}",
                "email": "bench@example.com",
                "billing_address": {
                    "line1": "Calle Mayor 1",
                    "postal_code": "28013",
                    "city": "Madrid",
                    "country": "ES",
                },
            },
        )
        return str(customer["id"])

    def order_body(self, customer_id: str, sku: str) -> dict[str, Any]:
        return {"customer_id": customer_id, **order_content(sku)}

    async def create_order(self, customer_id: str) -> tuple[str, float]:
        sku = next(self._next_sku)
        body, _, latency = await self.orders.timed(
            "POST",
            "/orders",
            headers={"Idempotency-Key": str(uuid.uuid4())},
            json=self.order_body(customer_id, sku),
        )
        order_id = str(body["id"])
        self.sku_of[order_id] = sku
        return order_id, latency

    async def confirm(self, order_id: str) -> float:
        """Confirms; returns when the request went out."""
        _, started, _ = await self.orders.timed("POST", f"/orders/{order_id}/confirm")
        return started

    def watcher(self, customer_id: str, **state: str) -> PendingWatcher:
        path = f"/customers/{customer_id}/orders"
        watcher = PendingWatcher(self.observer, path, state, self.sizes.poll_interval)
        self.watchers.append(watcher)
        return watcher

    def still_waiting(self) -> str:
        """What the watchers still wait for (said when a phase times out)."""
        counts = [
            f"{len(pending)} orders on {watcher.label}"
            for watcher in self.watchers
            if (pending := [f for f in watcher.waiting_futures() if not f.done()])
        ]
        return "; ".join(counts)

    async def settle(self) -> None:
        await asyncio.sleep(self.sizes.settle_seconds)

    # --- scenarios -----------------------------------------------------------------------

    async def sustained_creates(self, mark: Callable[[str], None]) -> dict[str, Any]:
        """Order creates at the HTTP concurrency, warmed up first (the create + burst phase's
        creates come cold, right after the floors); `mark` marks where the measured ones start
        and end, for the processes' CPU between."""
        sizes = self.sizes
        customer = await self.new_customer("creates")
        await asyncio.gather(*(self.create_order(customer) for _ in range(sizes.creates_warmup)))
        mark(CREATES_START)
        started = now()
        created = await asyncio.gather(*(self.create_order(customer) for _ in range(sizes.creates)))
        elapsed = now() - started
        mark(CREATES_END)
        return {
            "orders": sizes.creates,
            "warmup": sizes.creates_warmup,
            "concurrency": sizes.http_concurrency,
            "req_per_s": sizes.creates / elapsed,
            "latency": latency_summary([latency for _, latency in created]),
        }

    async def create_and_burst(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Order create req/s at the HTTP concurrency; then all those orders confirmed at once."""
        sizes = self.sizes
        customer = await self.new_customer("burst")
        started, host_before = now(), read_host_cpu()
        created = await asyncio.gather(
            *(self.create_order(customer) for _ in range(sizes.burst_orders))
        )
        create_elapsed = now() - started
        create = {
            "orders": sizes.burst_orders,
            "concurrency": sizes.http_concurrency,
            "req_per_s": sizes.burst_orders / create_elapsed,
            "latency": latency_summary([latency for _, latency in created]),
            "host_cpu": shares_since(host_before),
        }
        await self.settle()

        reserving = self.watcher(customer, fulfilment="reserving")
        order_ids = [order_id for order_id, _ in created]

        async def confirm_one(order_id: str) -> tuple[float, float, float]:
            sent = await self.confirm(order_id)
            accepted = now()
            return sent, accepted, await reserving.expect(order_id)

        try:
            started, host_before = now(), read_host_cpu()
            timings = await asyncio.gather(*(confirm_one(order_id) for order_id in order_ids))
            # Up to the last order seen reserved (give or take one poll)
            host_during = shares_since(host_before)
        finally:
            await reserving.stop()
        last = max(reserved for _, _, reserved in timings)
        reserved = await self.orders.pages(
            f"/customers/{customer}/orders", {"fulfilment": "reserved", "view": "summary"}
        )
        if len(reserved) != len(order_ids):
            raise BenchError(f"burst: {len(reserved)} of {len(order_ids)} orders reserved")
        # The burst's order confirmations are rendered before anything else is measured.
        await asyncio.gather(
            *(self.docs.expect(order_id, {"order_confirmation"}) for order_id in order_ids)
        )
        burst = {
            "orders": len(order_ids),
            "orders_per_s": len(order_ids) / (last - started),
            "seconds": last - started,
            "confirms_accepted_after_s": max(a for _, a, _ in timings) - started,
            "latency": latency_summary([r - s for s, _, r in timings]),
            # When each order was last listed as reserving: the true latency lies between.
            "latency_lower_bound": latency_summary(
                [
                    max(reserving.last_listed.get(order_id, s), s) - s
                    for order_id, (s, _, _) in zip(order_ids, timings, strict=True)
                ]
            ),
            "polls": reserving.polls,
            "poll_seconds": reserving.poll_seconds,
            "confirmation_pdfs_per_s": pdfs_per_second(self.docs.created(order_ids)),
            "host_cpu": host_during,
        }
        return create, burst

    async def single_orders(self) -> dict[str, Any]:
        """Confirm → reserved for one order at a time, nothing else running; polled every 10 ms."""
        customer = await self.new_customer("single")
        latencies = []
        for _ in range(self.sizes.single_orders):
            order_id, _ = await self.create_order(customer)
            await self.settle()
            sent = await self.confirm(order_id)
            for _ in range(3000):
                order = await self.orders.call("GET", f"/orders/{order_id}")
                if order["fulfilment"] == "reserved":
                    latencies.append(now() - sent)
                    break
                await asyncio.sleep(0.01)
            else:
                raise BenchError(f"order {order_id} not reserved within 30 s")
            await self.docs.expect(order_id, {"order_confirmation"})
        return {"orders": self.sizes.single_orders, "latency": latency_summary(latencies)}

    async def inbound(self, mark: Callable[[str], None]) -> dict[str, Any]:
        """Orders submitted by another system: `inbound` `order.submitted` events put on
        orders.inbound at once, each confirming its order. How soon orders created and confirmed
        them all and inventory reserved them, as seen on their topics; `mark` marks when they
        were sent and when the last was reserved, for the processes' CPU between. Their order
        confirmations are rendered before it returns, so nothing of the phase runs on after it."""
        sizes = self.sizes
        batch = uuid.uuid4().hex[:8]
        references = [f"BENCH-IN-{batch.upper()}-{n}" for n in range(sizes.inbound)]
        messages = [
            submitted_order(
                reference,
                f"shop-{batch}-{n % sizes.inbound_customers}@example.com",
                next(self._next_sku),
            )
            for n, reference in enumerate(references)
        ]
        watcher = SubmissionWatcher(sizes.poll_interval)
        await watcher.start()
        self.watchers.append(watcher)
        try:
            steps = {
                step: [watcher.expect(reference, step) for reference in references]
                for step in SUBMISSION_STEPS
            }
            mark(INBOUND_START)
            started = now()
            await submit(references, messages)
            sent = now()
            seen = {step: await asyncio.gather(*futures) for step, futures in steps.items()}
            mark(INBOUND_END)
        finally:
            await watcher.stop()
        order_ids = [watcher.order_of[reference] for reference in references]
        await asyncio.gather(
            *(self.docs.expect(order_id, {"order_confirmation"}) for order_id in order_ids)
        )
        count = len(references)
        return {
            "orders": count,
            "customers": min(count, sizes.inbound_customers),
            "sent_after_s": sent - started,
            **{f"{step}_per_s": count / (max(seen[step]) - started) for step in SUBMISSION_STEPS},
            "seconds": max(seen["reserved"]) - started,
            "latency": latency_summary([reserved - started for reserved in seen["reserved"]]),
        }

    async def backlog(self, mark: Callable[[str], None]) -> dict[str, Any]:
        """A receipt that ends a stock-out: `backlog` orders submitted for a product with no
        stock (each confirmed, so each waits for it), their confirmations rendered, then one
        receipt that covers them all. How soon it was answered, and how soon the bench saw the
        last order reserved; `mark` marks both ends, for the processes' CPU between."""
        sizes = self.sizes
        batch = uuid.uuid4().hex[:8].upper()
        sku = f"BENCH-BACKLOG-{batch}"
        await self.inventory.call(
            "PUT", f"/products/{sku}", json={"name": "Bench drill, out of stock", "kind": "product"}
        )
        await self.known_to_orders(sku)
        references = [f"BENCH-BL-{batch}-{n}" for n in range(sizes.backlog)]
        messages = [
            submitted_order(reference, f"backlog-{batch}-{n % 20}@example.com", sku)
            for n, reference in enumerate(references)
        ]
        watcher = SubmissionWatcher(sizes.poll_interval, backorders_expected=True)
        await watcher.start()
        self.watchers.append(watcher)
        try:
            waiting = [watcher.expect(reference, "backordered") for reference in references]
            await submit(references, messages)
            await asyncio.gather(*waiting)
            await asyncio.gather(
                *(
                    self.docs.expect(watcher.order_of[reference], {"order_confirmation"})
                    for reference in references
                )
            )
            await self.settle()
            served = [watcher.expect(reference, "reserved") for reference in references]
            receipt = {"sku": sku, "kind": "receipt", "quantity": str(len(references))}
            mark(BACKLOG_START)
            started = now()
            await self.inventory.call(
                "POST",
                "/stock/adjustments",
                json={**receipt, "reason": "bench: the stock-out ends"},
                timeout=aiohttp.ClientTimeout(total=sizes.phase_timeout),
            )
            answered = now()
            seen = await asyncio.gather(*served)
            mark(BACKLOG_END)
        finally:
            await watcher.stop()
        count = len(references)
        return {
            "orders": count,
            "answered_after_s": answered - started,
            "served_per_s": count / (answered - started),
            "all_reserved_after_s": max(seen) - started,
            "reserved_per_s": count / (max(seen) - started),
        }

    async def life(self) -> dict[str, Any]:
        """N orders at once through their full life (see `Lives`)."""
        sizes = self.sizes
        lives = Lives(self, await self.new_customer("life"))
        started = now()
        try:
            durations = await asyncio.gather(*(lives.one() for _ in range(sizes.life_orders)))
        finally:
            await lives.stop()
        elapsed = now() - started
        return {
            "orders": sizes.life_orders,
            "orders_per_s": sizes.life_orders / elapsed,
            "seconds": elapsed,
            "latency": latency_summary(durations),
            "pdfs": len(self.docs.created(lives.order_ids)),
            "pdfs_per_s": pdfs_per_second(self.docs.created(lives.order_ids)),
            **lives.polling(),
        }


class Lives:
    """Orders of one customer through create → confirm → reserved → ship → complete → invoiced,
    with the order confirmation and the invoice as PDFs; the watchers are shared by all of them."""

    def __init__(self, suite: Suite, customer: str) -> None:
        self.suite = suite
        self.customer = customer
        self.reserving = suite.watcher(customer, fulfilment="reserving")
        self.shipping = suite.watcher(customer, fulfilment="reserved")
        self.invoicing = suite.watcher(customer, status="concluded", billing="not_invoiced")
        self.order_ids: list[str] = []

    async def one(self) -> float:
        """One order's full life; how long it took."""
        suite = self.suite
        begun = now()
        order_id, _ = await suite.create_order(self.customer)
        self.order_ids.append(order_id)
        await suite.confirm(order_id)
        await self.reserving.expect(order_id)
        await suite.inventory.call(
            "POST",
            "/shipments",
            headers={"Idempotency-Key": str(uuid.uuid4())},
            json={
                "order_id": order_id,
                "lines": [{"sku": suite.sku_of[order_id], "quantity": "1"}],
            },
        )
        await self.shipping.expect(order_id)
        await suite.orders.call("POST", f"/orders/{order_id}/complete")
        await self.invoicing.expect(order_id)
        await suite.docs.expect(order_id, {"order_confirmation", "invoice"})
        return now() - begun

    def polling(self) -> dict[str, float]:
        watchers = (self.reserving, self.shipping, self.invoicing)
        return {
            "polls": sum(w.polls for w in watchers),
            "poll_seconds": sum(w.poll_seconds for w in watchers),
        }

    async def stop(self) -> None:
        for watcher in (self.reserving, self.shipping, self.invoicing):
            await watcher.stop()


async def refuse_unless_running() -> None:
    """Every service must answer /health/ready; the bench never starts anything itself."""
    down = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as client:
        for name, url in URLS.items():
            try:
                async with client.get(f"{url}/health/ready") as response:
                    if response.status != 200:
                        down.append(f"{name} ({url}: not ready)")
            except (aiohttp.ClientError, TimeoutError):
                down.append(f"{name} ({url}: no answer)")
    if down:
        raise BenchError(
            "the suite is not running: " + ", ".join(down) + ". Start it with `make up` first."
        )


# ---------------------------------------------------------------------------------------------
# The report


@dataclasses.dataclass
class Row:
    figure: str
    value: float | None
    unit: str
    floor: str = ""
    floor_value: float | None = None
    floor_unit: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.floor_value:
            return None
        return self.value / self.floor_value

    def as_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "ratio": self.ratio}


def number(value: float | None) -> str:
    if value is None or value != value:  # None or NaN
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def rows_of(
    floors: dict[str, Any],
    suite: dict[str, Any],
    cpu_per_order: float,
    box_cpu_per_order: float | None = None,
) -> list[Row]:
    """The report's rows; `box_cpu_per_order`: services, PostgreSQL, Kafka and the bench
    client together (None when PostgreSQL or Kafka does not run here)."""
    pg, kafka, pdf = floors["postgres"], floors["kafka"], floors["reportlab"]
    tps = pg["throughput"]["tps"]
    pg_tool = "PostgreSQL TPC-B" if "pgbench" in pg["throughput"]["tool"] else "PG inserts"
    producer = kafka["producer_msgs_per_s"]
    hop, row_txn = kafka["one_hop"]["p50_ms"], pg["transaction"]["p50_ms"]
    txn = pg.get("tpcb_one_client_ms") or row_txn
    # Confirm → reserved needs two Kafka hops (orders → inventory → orders) and three
    # transactions (confirm, reserve, record the reservation), each of a few statements.
    path_floor = 2 * hop + 3 * txn
    path_floor_name = "2 hops + 3 " + ("TPC-B txns" if "tpcb_one_client_ms" in pg else "row txns")
    create, burst, single, life = (suite[k] for k in ("create", "burst", "single", "life"))
    burst_n, life_n = burst["orders"], life["orders"]
    return [
        Row("PostgreSQL: " + pg["throughput"]["tool"], tps, "tps"),
        Row("PostgreSQL: TPC-B transaction, 1 client, mean", pg.get("tpcb_one_client_ms"), "ms"),
        Row("PostgreSQL: one-row transaction, p50", row_txn, "ms"),
        Row("Kafka: producer, 1 KiB, acks=all, idempotent", producer, "msg/s"),
        Row("Kafka: one hop produce → consume, p50", hop, "ms"),
        Row("Kafka: one hop produce → consume, p99", kafka["one_hop"]["p99_ms"], "ms"),
        Row("reportlab: one-page invoice, one core", pdf["pdfs_per_s"], "PDFs/s"),
        *creates_rows(suite.get("creates"), pg_tool, tps),
        Row(
            f"order create over HTTP, {create['concurrency']} concurrent",
            create["req_per_s"],
            "req/s",
            pg_tool,
            tps,
            "tps",
        ),
        Row(
            f"confirm → reserved, burst of {burst_n}",
            burst["orders_per_s"],
            "orders/s",
            "Kafka producer",
            producer,
            "msg/s",
        ),
        Row(f"confirm → reserved, burst of {burst_n}, p50", burst["latency"]["p50_ms"], "ms"),
        Row(f"confirm → reserved, burst of {burst_n}, p99", burst["latency"]["p99_ms"], "ms"),
        # Bounds from below: the last poll that still listed each order as reserving.
        Row(
            f"confirm → reserved, burst of {burst_n}, p50, at least",
            burst["latency_lower_bound"]["p50_ms"],
            "ms",
        ),
        Row(
            f"confirm → reserved, burst of {burst_n}, p99, at least",
            burst["latency_lower_bound"]["p99_ms"],
            "ms",
        ),
        Row(
            "confirm → reserved, one order, p50",
            single["latency"]["p50_ms"],
            "ms",
            path_floor_name,
            path_floor,
            "ms",
        ),
        Row(
            "confirm → reserved, one order, p99",
            single["latency"]["p99_ms"],
            "ms",
            path_floor_name,
            path_floor,
            "ms",
        ),
        Row(
            f"full life, {life_n} orders at once",
            life["orders_per_s"],
            "orders/s",
            pg_tool,
            tps,
            "tps",
        ),
        Row(f"full life, {life_n} orders, per order p50", life["latency"]["p50_ms"], "ms"),
        Row(f"full life, {life_n} orders, per order p99", life["latency"]["p99_ms"], "ms"),
        Row("full life: service CPU per order", cpu_per_order * 1000, "ms"),
        Row(
            "full life: box CPU per order (+ PG, Kafka, bench)",
            None if box_cpu_per_order is None else box_cpu_per_order * 1000,
            "ms",
        ),
        Row(
            "PDFs rendered during the full life",
            life["pdfs_per_s"],
            "PDFs/s",
            "reportlab loop",
            pdf["pdfs_per_s"],
            "PDFs/s",
        ),
        Row(
            f"order confirmations after the burst of {burst_n}",
            burst["confirmation_pdfs_per_s"],
            "PDFs/s",
            "reportlab loop",
            pdf["pdfs_per_s"],
            "PDFs/s",
        ),
        *inbound_rows(suite.get("inbound"), producer),
        *backlog_rows(suite.get("backlog"), pg_tool, tps),
    ]


def creates_rows(creates: dict[str, Any] | None, pg_tool: str, tps: float) -> list[Row]:
    """The rows of the creates phase (`--creates`), none when it did not run."""
    if creates is None:
        return []
    label = f"{creates['orders']:,} creates, {creates['concurrency']} concurrent"
    return [
        Row(
            f"order create over HTTP, {label} (warm)",
            creates["req_per_s"],
            "req/s",
            pg_tool,
            tps,
            "tps",
        ),
        Row(f"{label}: service CPU per create", creates.get("service_cpu_ms_per_create"), "ms"),
        Row(f"{label}: box CPU per create", creates.get("box_cpu_ms_per_create"), "ms"),
    ]


def creates_cpu(creates: dict[str, Any], cpu: dict[str, float]) -> None:
    """Add to the creates phase's figures the CPU each process took per create (`cpu`: seconds
    by process between the measured creates' marks): the services' together, and the whole
    box's when PostgreSQL and Kafka run here."""
    add_cpu_per(creates, "create", cpu)


def inbound_rows(inbound: dict[str, Any] | None, producer_msgs_per_s: float) -> list[Row]:
    """The rows of the inbound phase (`--inbound`), none when it did not run."""
    if inbound is None:
        return []
    label = f"inbound: {inbound['orders']:,} submitted at once"
    return [
        *(
            Row(
                f"{label} → {step}",
                inbound[f"{step}_per_s"],
                "orders/s",
                "Kafka producer",
                producer_msgs_per_s,
                "msg/s",
            )
            for step in ("created", "reserved")
        ),
        Row(f"{label}, p99 → reserved", inbound["latency"]["p99_ms"], "ms"),
        Row(
            "inbound: orders' CPU per submission",
            inbound.get("cpu_ms_per_submission", {}).get("orders"),
            "ms",
        ),
        Row(
            "inbound: service CPU per submission",
            inbound.get("service_cpu_ms_per_submission"),
            "ms",
        ),
        Row("inbound: box CPU per submission", inbound.get("box_cpu_ms_per_submission"), "ms"),
    ]


def backlog_rows(backlog: dict[str, Any] | None, pg_tool: str, tps: float) -> list[Row]:
    """The rows of the backlog phase (`--backlog`), none when it did not run."""
    if backlog is None:
        return []
    label = f"backlog: {backlog['orders']:,} waiting orders, one receipt"
    return [
        Row(f"{label} → answered", backlog["served_per_s"], "orders/s", pg_tool, tps, "tps"),
        Row(f"{label} → all reserved", backlog["reserved_per_s"], "orders/s", pg_tool, tps, "tps"),
        Row(
            "backlog: inventory's CPU per order served",
            backlog.get("cpu_ms_per_order_served", {}).get("inventory"),
            "ms",
        ),
        Row("backlog: box CPU per order served", backlog.get("box_cpu_ms_per_order_served"), "ms"),
    ]


def inbound_cpu(inbound: dict[str, Any], cpu: dict[str, float]) -> None:
    """Add to the inbound phase's figures the CPU each process took per submission (`cpu`:
    seconds by process from the submissions sent to the last order reserved)."""
    add_cpu_per(inbound, "submission", cpu)


def add_cpu_per(figures: dict[str, Any], item: str, cpu: dict[str, float]) -> None:
    """Of CPU seconds by process over `figures["orders"]` items: each process's milliseconds
    per item, the services' together, and the whole box's when PostgreSQL and Kafka run here
    (`cpu_ms_per_<item>`, `service_…`, `box_…`)."""
    per_item = {name: seconds * 1000 / figures["orders"] for name, seconds in cpu.items()}
    figures[f"cpu_ms_per_{item}"] = per_item
    services, box = services_and_box(per_item)
    figures[f"service_cpu_ms_per_{item}"], figures[f"box_cpu_ms_per_{item}"] = services, box


def services_and_box(cpu: dict[str, float]) -> tuple[float, float | None]:
    """Of CPU by process: the services' together, and the whole box's when PostgreSQL and Kafka
    run here to be counted (else None)."""
    services = sum(
        used for name, used in cpu.items() if name != "bench client" and not is_infrastructure(name)
    )
    whole_box = "kafka" in cpu and "postgresql" in cpu
    return services, sum(cpu.values()) if whole_box else None


def print_report(rows: list[Row], processes: dict[str, dict[str, float]]) -> None:
    print()
    print(f"{'figure':<52} {'value':>10} {'unit':<9} {'floor':<25} {'floor':>9} {'ratio':>9}")
    print("-" * 119)
    for row in rows:
        ratio = row.ratio
        print(
            f"{row.figure:<52} {number(row.value):>10} {row.unit:<9} {row.floor:<25} "
            f"{number(row.floor_value):>9} {'' if ratio is None else f'{ratio:.3g}×':>9}"
        )
    print()
    print(f"{'process':<22} {'CPU s (run)':>12} {'CPU s (life)':>13} {'peak RSS MiB':>13}")
    print("-" * 63)
    for name, usage in processes.items():
        rss = usage.get("peak_rss_mib")
        print(
            f"{name:<22} {usage['cpu_seconds']:>12.1f} {usage['cpu_seconds_life']:>13.1f} "
            f"{'' if rss is None else f'{rss:.0f}':>13}"
        )


# ---------------------------------------------------------------------------------------------
# Statements per order: pg_stat_statements, when the server loads it (PG_STATEMENT_STATS=1)

SERVICE_DATABASES = ("orders", "inventory", "billing", "documents")


@dataclasses.dataclass(frozen=True)
class StatementStat:
    """One statement's line in pg_stat_statements: its database, text, calls and time."""

    database: str
    query: str
    calls: int
    exec_ms: float


async def reset_statement_stats() -> bool:
    """Zero the server's statement counts; False when it does not count them."""
    connection = await pg_connect()
    try:
        await connection.execute("SELECT pg_stat_statements_reset()")
    except asyncpg.PostgresError:  # no extension, or the library is not loaded
        return False
    finally:
        await connection.close()
    return True


async def statement_stats() -> list[StatementStat]:
    connection = await pg_connect()
    try:
        rows = await connection.fetch(
            "SELECT d.datname, s.query, s.calls, s.total_exec_time"
            " FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
            " WHERE d.datname = ANY($1::text[])",
            list(SERVICE_DATABASES),
        )
    finally:
        await connection.close()
    return [StatementStat(r[0], r[1], r[2], r[3]) for r in rows]


def statements_per_order(
    stats: Iterable[StatementStat], orders: int, top: int = 5
) -> dict[str, dict[str, Any]]:
    """By service: the statements it sent per order (BEGIN and COMMIT included), the server's
    execution time of them per order, and its `top` statements by calls."""
    by_database: dict[str, list[StatementStat]] = {name: [] for name in SERVICE_DATABASES}
    for stat in stats:
        if stat.database in by_database:  # not the bench's own, nor the admin's
            by_database[stat.database].append(stat)
    census: dict[str, dict[str, Any]] = {}
    for database, statements in by_database.items():
        busiest = sorted(statements, key=lambda stat: (-stat.calls, stat.query))[:top]
        census[database] = {
            "per_order": sum(stat.calls for stat in statements) / orders,
            "exec_ms_per_order": sum(stat.exec_ms for stat in statements) / orders,
            "top": [
                {
                    "per_order": stat.calls / orders,
                    "mean_ms": stat.exec_ms / stat.calls if stat.calls else 0.0,
                    "query": " ".join(stat.query.split()),
                }
                for stat in busiest
            ],
        }
    return census


def print_statements(census: dict[str, dict[str, Any]] | None, orders: int) -> None:
    print()
    if census is None:
        print("statements per order: not counted (PostgreSQL started without PG_STATEMENT_STATS=1)")
        return
    print(f"statements per order in the full life of {orders} (pg_stat_statements)")
    print(f"{'service':<12} {'per order':>10} {'exec ms':>9}  (for a statement: ms each)")
    print("-" * 119)
    for database, figures in census.items():
        print(f"{database:<12} {figures['per_order']:>10.1f} {figures['exec_ms_per_order']:>9.2f}")
        for statement in figures["top"]:
            print(
                f"{'':<12} {statement['per_order']:>10.2f} {statement['mean_ms']:>9.3f}  "
                f"{statement['query'][:84]}"
            )


# ---------------------------------------------------------------------------------------------


async def phase(
    label: str, sizes: Sizes, sampler: ProcessSampler, work: Callable[[], Awaitable[Any]]
) -> Any:
    print(f"bench: {label}", file=sys.stderr, flush=True)
    sampler.mark(f"{label} start")
    try:
        async with asyncio.timeout(sizes.phase_timeout):
            result = await work()
    except TimeoutError:
        raise BenchError(f"{label} did not finish within {sizes.phase_timeout:.0f} s") from None
    sampler.mark(f"{label} end")
    return result


def phase_host_cpu(
    sampler: ProcessSampler,
    labels: list[str],
    within: dict[str, dict[str, dict[str, float] | None]] | None = None,
) -> dict[str, dict[str, float]]:
    """The machine's CPU shares during each phase that has them (none off Linux), each followed
    by the shares measured `within` it (the burst alone, say), by label."""
    shares: dict[str, dict[str, float]] = {}
    for label in labels:
        rows = {label: sampler.host_between(f"{label} start", f"{label} end")}
        rows.update((within or {}).get(label, {}))
        shares.update((name, share) for name, share in rows.items() if share is not None)
    return shares


def print_host_cpu(host_cpu: dict[str, dict[str, float]]) -> None:
    """How busy the machine was in each phase, and how much of its time the host took away."""
    if not host_cpu:
        return
    print()
    heading = "the machine, % of its CPU time"
    print(f"{heading:<36} {'busy':>7} {'idle':>7} {'iowait':>7} {'steal':>7}")
    print("-" * 68)
    for label, share in host_cpu.items():
        print(
            f"{label:<36} {share['busy']:>7.1f} {share['idle']:>7.1f} {share['iowait']:>7.1f} "
            f"{share['steal']:>7.1f}"
        )
    for line in stolen_phases(host_cpu):
        print(line)


# Above this share of steal in a phase, its rates say more about the host than about the suite.
NOTABLE_STEAL_PERCENT = 5.0


def stolen_phases(host_cpu: dict[str, dict[str, float]]) -> list[str]:
    """A warning for each phase the host took a notable share of the machine from."""
    return [
        f"note: the host took {share['steal']:.0f} % of the machine's time during {label.strip()}; "
        "its figures are not comparable with a run on a quiet host"
        for label, share in host_cpu.items()
        if share["steal"] >= NOTABLE_STEAL_PERCENT
    ]


async def start_sampling(interval: float) -> ProcessSampler:
    """Only a running suite on this machine is measured; its processes are sampled from now on."""
    refuse_remote_addresses()
    await refuse_unless_running()
    launchers = service_pid_files()
    if not launchers:
        print(
            f"bench: no service pid files in {RUN_DIR}: CPU and memory are not measured",
            file=sys.stderr,
        )
    sampler = ProcessSampler({**launchers, **infrastructure_roots(all_processes())}, interval)
    sampler.start()
    sampler.mark("run start")
    return sampler


def machine(load_before: tuple[float, float, float]) -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }


async def bench(sizes: Sizes) -> dict[str, Any]:
    load_before = os.getloadavg()
    sampler = await start_sampling(0.5)
    started = datetime.now().astimezone()
    suite = Suite(sizes)
    try:
        floors = {
            "postgres": await phase(
                "postgres floor", sizes, sampler, lambda: postgres_floor(sizes)
            ),
            "kafka": await phase("kafka floor", sizes, sampler, lambda: kafka_floor(sizes)),
            "reportlab": await phase(
                "reportlab floor", sizes, sampler, lambda: asyncio.to_thread(reportlab_floor, sizes)
            ),
        }
        await suite.prepare()
        creates = None
        if sizes.creates:
            creates = await phase(
                "creates", sizes, sampler, lambda: suite.sustained_creates(sampler.mark)
            )
            creates_cpu(creates, sampler.between(CREATES_START, CREATES_END))
            await suite.settle()
        create, burst = await phase("create + burst", sizes, sampler, suite.create_and_burst)
        single = await phase("single orders", sizes, sampler, suite.single_orders)
        await suite.settle()
        counting = await reset_statement_stats()
        life = await phase("full life", sizes, sampler, suite.life)
        statements = (
            statements_per_order(await statement_stats(), life["orders"]) if counting else None
        )
        inbound = None
        if sizes.inbound:
            await suite.settle()
            inbound = await phase("inbound", sizes, sampler, lambda: suite.inbound(sampler.mark))
            inbound_cpu(inbound, sampler.between(INBOUND_START, INBOUND_END))
        backlog = None
        if sizes.backlog:
            await suite.settle()
            backlog = await phase("backlog", sizes, sampler, lambda: suite.backlog(sampler.mark))
            add_cpu_per(backlog, "order_served", sampler.between(BACKLOG_START, BACKLOG_END))
        sampler.mark("run end")
    except BenchError as exc:
        if waiting := suite.still_waiting():
            raise BenchError(f"{exc} (still waiting: {waiting})") from None
        raise
    finally:
        await suite.aclose()
        await sampler.stop()
    results = {"create": create, "burst": burst, "single": single, "life": life}
    if creates is not None:
        results["creates"] = creates
    if inbound is not None:
        results["inbound"] = inbound
    if backlog is not None:
        results["backlog"] = backlog
    run_cpu = sampler.between("run start", "run end")
    life_cpu = sampler.between("full life start", "full life end")
    services_life_cpu, box_life_cpu = services_and_box(life_cpu)
    processes: dict[str, dict[str, float]] = {}
    for name, cpu in run_cpu.items():
        processes[name] = {"cpu_seconds": cpu, "cpu_seconds_life": life_cpu.get(name, 0.0)}
        if name in sampler.usage and not is_infrastructure(name):
            processes[name]["peak_rss_mib"] = sampler.usage[name].peak_rss_bytes / MIB
    rows = rows_of(
        floors,
        results,
        services_life_cpu / life["orders"],
        None if box_life_cpu is None else box_life_cpu / life["orders"],
    )
    phases = ["postgres floor", "kafka floor", "reportlab floor"]
    phases += ["creates"] if creates is not None else []
    phases.append("create + burst")
    host_cpu = phase_host_cpu(
        sampler,
        [
            *phases,
            "single orders",
            "full life",
            *(["inbound"] if inbound is not None else []),
            *(["backlog"] if backlog is not None else []),
        ],
        {
            "create + burst": {
                "  the creates alone": create.get("host_cpu"),
                "  the burst, to its last reserved": burst.get("host_cpu"),
            }
        },
    )
    print_report(rows, processes)
    print_host_cpu(host_cpu)
    print_statements(statements, life["orders"])
    return {
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine(load_before),
        "sizes": dataclasses.asdict(sizes),
        "rows": [row.as_json() for row in rows],
        "floors": floors,
        "suite": results,
        "processes": processes,
        "host_cpu": host_cpu,
        "statements": statements,
    }


# ---------------------------------------------------------------------------------------------
# Steady rate: full lives started on a schedule for minutes, RSS sampled all along


@dataclasses.dataclass(frozen=True)
class Steady:
    """Full lives started at `rate` a second for `minutes`, whether or not earlier ones are done
    (open loop), at most `max_in_flight` at a time."""

    rate: float
    minutes: float
    sample_seconds: float = 5.0
    max_in_flight: int = 0  # 0: 30 seconds' worth of starts, at least 50
    late_after: float = 1.0  # a start this late (seconds) counts as fallen behind
    order_timeout: float = 300.0
    drain_seconds: float = 300.0

    @property
    def seconds(self) -> float:
        return self.minutes * 60

    @property
    def in_flight_bound(self) -> int:
        return self.max_in_flight or max(50, math.ceil(self.rate * 30))


def schedule(rate: float, seconds: float) -> list[float]:
    """When each order starts, in seconds from the first: evenly `1 / rate` apart, all before
    `seconds`."""
    count = math.ceil(rate * seconds - 1e-9)
    return [index / rate for index in range(max(0, count))]


def rss_series(
    history: list[tuple[float, dict[str, int]]], started: float
) -> dict[str, list[tuple[float, float]]]:
    """Each service's RSS over time: (seconds since `started`, MiB), from the sampler's history."""
    series: dict[str, list[tuple[float, float]]] = {}
    for at, rss in history:
        if at >= started:
            for name, size in rss.items():
                series.setdefault(name, []).append((at - started, size / MIB))
    return series


def by_minute(series: Iterable[tuple[float, float]]) -> dict[int, list[float]]:
    """The values of (seconds, value) pairs by minute: minute 1 is seconds 0-60."""
    minutes: dict[int, list[float]] = {}
    for at, value in series:
        minutes.setdefault(int(at // 60) + 1, []).append(value)
    return dict(sorted(minutes.items()))


def per_minute(series: list[tuple[float, float]]) -> list[dict[str, float]]:
    """Min, median and max of the samples taken in each minute."""
    return [
        {
            "minute": minute,
            "min": min(values),
            "median": statistics.median(values),
            "max": max(values),
            "samples": len(values),
        }
        for minute, values in by_minute(series).items()
    ]


def lives_per_minute(
    starts: list[float], lives: list[tuple[float, float]]
) -> list[dict[str, float]]:
    """For each minute, the orders started in it (seconds from the first start), how many of them
    completed and the p50/p99 of their full life (`lives`: start, seconds it took)."""
    durations = by_minute(lives)
    return [
        {
            "minute": minute,
            "started": len(started),
            "completed": len(durations.get(minute, [])),
            "p50_ms": percentile(durations.get(minute, []), 0.50) * 1000,
            "p99_ms": percentile(durations.get(minute, []), 0.99) * 1000,
        }
        for minute, started in by_minute((start, 1.0) for start in starts).items()
    ]


def growth(series: list[tuple[float, float]], warmup: float) -> dict[str, float | None]:
    """The last sample of the warm-up (the first sample if none is that early) against the last
    sample, and the least-squares slope in MiB/min over the samples from the warm-up's end on, so
    what the warm-up allocates does not count as growth."""
    if not series:
        return {}
    in_warmup = [sample for sample in series if sample[0] <= warmup] or series[:1]
    base_at, base = in_warmup[-1]
    end_at, end = series[-1]
    after = [(at / 60, value) for at, value in series if at >= base_at]
    slope = None
    if len({at for at, _ in after}) >= 2:
        xs, ys = zip(*after, strict=True)
        slope = statistics.linear_regression(xs, ys).slope
    return {
        "warmup_end_s": base_at,
        "warmup_end_mib": base,
        "end_s": end_at,
        "end_mib": end,
        "growth_mib": end - base,
        "growth_percent": (end - base) / base * 100 if base else None,
        "slope_mib_per_min": slope,
    }


async def steady_lives(suite: Suite, steady: Steady) -> dict[str, Any]:
    """Starts full lives on schedule; waits (bounded) for the ones in flight at the end."""
    lives = Lives(suite, await suite.new_customer("steady"))
    starts = schedule(steady.rate, steady.seconds)
    bound = steady.in_flight_bound
    slots = asyncio.Semaphore(bound)
    late: list[float] = []  # per started order, how long after its time it started
    begun: list[float] = []  # when each started, in seconds from the first start
    lived: list[tuple[float, float]] = []  # per completed order: when it started, how long
    failures: list[str] = []
    tasks: set[asyncio.Task[None]] = set()
    in_flight = peak_in_flight = 0

    async def one(start: float) -> None:
        nonlocal in_flight
        try:
            async with asyncio.timeout(steady.order_timeout):
                lived.append((start, await lives.one()))
        except (TimeoutError, BenchError, aiohttp.ClientError) as exc:
            failures.append(f"{type(exc).__name__}: {exc}")
        finally:
            in_flight -= 1
            slots.release()

    def progress(label: str) -> None:
        print(
            f"bench: steady: {label}: {len(late)} started, {len(lived)} done, "
            f"{in_flight} in flight, {len(failures)} failed",
            file=sys.stderr,
            flush=True,
        )

    started = now()
    window_end = started + steady.seconds
    next_report = 60.0
    warned = False
    try:
        for offset in starts:
            due = started + offset
            if (pause := due - now()) > 0:
                await asyncio.sleep(pause)
            if offset >= next_report:
                progress(f"minute {next_report / 60:.0f}")
                next_report += 60
            if slots.locked() and not warned:
                warned = True
                print(
                    f"bench: steady: {bound} orders in flight (the bound, --max-in-flight): the "
                    f"suite does not keep up with {steady.rate:g} orders/s; later starts wait for "
                    "a free slot and count as fallen behind",
                    file=sys.stderr,
                    flush=True,
                )
            remaining = window_end - now()
            if remaining <= 0:
                break
            try:
                await asyncio.wait_for(slots.acquire(), timeout=remaining)
            except TimeoutError:
                break
            late.append(now() - due)
            begun.append(now() - started)
            in_flight += 1
            peak_in_flight = max(peak_in_flight, in_flight)
            task = asyncio.create_task(one(begun[-1]))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        progress("all started")
        if tasks:
            _, unfinished = await asyncio.wait(set(tasks), timeout=steady.drain_seconds)
            for task in unfinished:
                task.cancel()
    finally:
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await lives.stop()
    durations = [took for _, took in lived]
    last_done = max((start + took for start, took in lived), default=0.0)
    return {
        "rate": steady.rate,
        "minutes": steady.minutes,
        "planned": len(starts),
        "started": len(late),
        "completed": len(durations),
        "failed": len(failures),
        "failures": failures[:5],
        "unfinished": len(late) - len(durations) - len(failures),
        "not_started": len(starts) - len(late),
        "late_starts": sum(1 for delay in late if delay > steady.late_after),
        "late_after_s": steady.late_after,
        "max_late_s": max(late, default=0.0),
        "max_in_flight": bound,
        "peak_in_flight": peak_in_flight,
        "started_per_s": len(late) / steady.seconds,
        "completed_per_s": len(durations) / last_done if last_done else 0.0,
        "latency": latency_summary(durations),
        "per_minute": lives_per_minute(begun, lived),
        "pdfs": len(suite.docs.created(lives.order_ids)),
        **lives.polling(),
    }


def print_steady_report(run: dict[str, Any], memory: dict[str, Any]) -> None:
    print()
    print(
        f"steady run: {run['rate']:g} orders/s for {run['minutes']:g} min: {run['planned']} "
        f"planned, {run['started']} started ({run['started_per_s']:.2f}/s), {run['completed']} "
        f"completed ({run['completed_per_s']:.2f}/s), {run['failed']} failed, "
        f"{run['unfinished']} unfinished"
    )
    print(
        f"fell behind: {run['late_starts']} started more than {run['late_after_s']:g} s late "
        f"(worst {run['max_late_s']:.2f} s), {run['not_started']} not started; in flight at "
        f"most {run['peak_in_flight']} (bound {run['max_in_flight']})"
    )
    latency = run["latency"]
    print(
        f"per-order full life: p50 {number(latency['p50_ms'])} ms, "
        f"p99 {number(latency['p99_ms'])} ms"
    )
    for failure in run["failures"]:
        print(f"  failed: {failure}")
    if memory.get("host_cpu"):
        print_host_cpu({"steady": memory["host_cpu"]})
    print()
    print(f"{'minute':>6} {'started':>8} {'completed':>10} {'p50 ms':>9} {'p99 ms':>9}")
    for row in run["per_minute"]:
        print(
            f"{row['minute']:>6} {row['started']:>8} {row['completed']:>10} "
            f"{number(row['p50_ms']):>9} {number(row['p99_ms']):>9}"
        )
    per_service: dict[str, list[dict[str, float]]] = memory["per_minute"]
    if not per_service:
        return
    widths = {name: max(len(name), 11) + 2 for name in per_service}
    print()
    print("RSS MiB per minute (min/median/max of the samples)")
    print(f"{'minute':>6}  " + "".join(f"{name:<{width}}" for name, width in widths.items()))
    minutes = sorted({row["minute"] for rows in per_service.values() for row in rows})
    for minute in minutes:
        cells = []
        for name, width in widths.items():
            row = next((r for r in per_service[name] if r["minute"] == minute), None)
            cell = "" if row is None else f"{row['min']:.0f}/{row['median']:.0f}/{row['max']:.0f}"
            cells.append(f"{cell:<{width}}")
        print(f"{minute:>6.0f}  " + "".join(cells))
    warmup = memory["warmup_s"]
    print()
    print(
        f"{'service':<22} {f'RSS at {warmup:.0f} s':>13} {'at the end':>11} {'growth MiB':>11} "
        f"{'growth %':>9} {'MiB/min':>8} {'CPU s':>8}"
    )
    print("-" * 88)
    for name, figures in memory["growth"].items():
        slope, percent = figures["slope_mib_per_min"], figures["growth_percent"]
        cpu = memory["cpu_seconds"].get(name)
        cpu_text = "" if cpu is None else f"{cpu:.1f}"
        print(
            f"{name:<22} {figures['warmup_end_mib']:>13.1f} {figures['end_mib']:>11.1f} "
            f"{figures['growth_mib']:>+11.1f} {'' if percent is None else f'{percent:+.1f}':>9} "
            f"{'' if slope is None else f'{slope:+.2f}':>8} {cpu_text:>8}"
        )
    print(f"(MiB/min: least-squares slope over the samples from {warmup:.0f} s on)")


async def steady_bench(steady: Steady) -> dict[str, Any]:
    """The steady-rate run: no floors, no other phases; RSS sampled every few seconds."""
    load_before = os.getloadavg()
    sampler = await start_sampling(steady.sample_seconds)
    started_at = datetime.now().astimezone()
    # Stock for every planned order; the whole run, drain included, is bounded.
    sizes = Sizes(
        burst_orders=0,
        single_orders=0,
        life_orders=len(schedule(steady.rate, steady.seconds)),
        phase_timeout=steady.seconds + steady.drain_seconds + 60,
    )
    suite = Suite(sizes)
    try:
        await suite.prepare()
        started = now()
        run = await phase("steady", sizes, sampler, lambda: steady_lives(suite, steady))
        sampler.sample()
    finally:
        await suite.aclose()
        await sampler.stop()
    series = rss_series(sampler.rss_history, started)
    duration = max((points[-1][0] for points in series.values()), default=0.0)
    warmup = min(60.0, duration / 2)  # a short trial run still gets figures
    memory = {
        "sample_seconds": steady.sample_seconds,
        "warmup_s": warmup,
        "cpu_seconds": sampler.between("steady start", "steady end"),
        "host_cpu": sampler.host_between("steady start", "steady end"),
        "per_minute": {name: per_minute(points) for name, points in series.items()},
        "growth": {name: growth(points, warmup) for name, points in series.items()},
        "samples": series,
    }
    print_steady_report(run, memory)
    return {
        "mode": "steady",
        "started_at": started_at.isoformat(timespec="seconds"),
        "machine": machine(load_before),
        "steady": run,
        "memory": memory,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a tiny run (CI keeps it working)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the figures as JSON")
    parser.add_argument("--orders", type=int, help="orders in the create/confirm burst")
    parser.add_argument(
        "--creates",
        type=int,
        help="also measure N order creates, after 150 to warm up, with the CPU per create",
    )
    parser.add_argument(
        "--inbound",
        type=int,
        help="also measure N orders submitted at once on orders.inbound, each confirmed",
    )
    parser.add_argument(
        "--backlog",
        type=int,
        help="also measure one receipt serving N orders that wait for a product out of stock",
    )
    parser.add_argument("--life-orders", type=int, help="orders in the full-life run")
    parser.add_argument("--single-orders", type=int, help="orders confirmed one at a time")
    parser.add_argument(
        "--skus", type=int, help="spread the orders over N products (default 1: one hot stock row)"
    )
    steady_mode = parser.add_argument_group(
        "steady rate", "full lives started at a constant rate, RSS sampled (no floors, no phases)"
    )
    steady_mode.add_argument(
        "--steady", type=float, metavar="RATE", help="start RATE full-life orders a second"
    )
    steady_mode.add_argument(
        "--minutes", type=float, default=10.0, help="for how long (default 10; 0.5 is fine)"
    )
    steady_mode.add_argument(
        "--sample-seconds", type=float, default=5.0, help="seconds between RSS samples (default 5)"
    )
    steady_mode.add_argument(
        "--max-in-flight",
        type=int,
        default=0,
        help="orders in flight at the most (default: 30 seconds' worth, at least 50)",
    )
    args = parser.parse_args()
    steady = None
    if args.steady is not None:
        if not 0 < args.steady <= 100 or not 0 < args.minutes <= 180:
            parser.error("--steady takes 0 < RATE <= 100 and --minutes 0 < M <= 180")
        if not 0.5 <= args.sample_seconds <= 60 or args.max_in_flight < 0:
            parser.error("--sample-seconds takes 0.5 to 60; --max-in-flight 0 or more")
        steady = Steady(args.steady, args.minutes, args.sample_seconds, args.max_in_flight)
    if args.skus is not None and not 1 <= args.skus <= 1000:
        parser.error("--skus takes 1 to 1000")
    if args.creates is not None and not 1 <= args.creates <= 20_000:
        parser.error("--creates takes 1 to 20000")
    if args.inbound is not None and not 1 <= args.inbound <= 20_000:
        parser.error("--inbound takes 1 to 20000")
    if args.backlog is not None and not 1 <= args.backlog <= 20_000:
        parser.error("--backlog takes 1 to 20000")
    sizes = Sizes.quick() if args.quick else Sizes()
    overrides = {
        "burst_orders": args.orders,
        "life_orders": args.life_orders,
        "single_orders": args.single_orders,
        "skus": args.skus,
        "creates": args.creates,
        "inbound": args.inbound,
        "backlog": args.backlog,
    }
    sizes = dataclasses.replace(sizes, **{k: v for k, v in overrides.items() if v})
    try:
        report = asyncio.run(bench(sizes) if steady is None else steady_bench(steady))
    except (BenchError, DemoError, aiohttp.ClientError, OSError, asyncpg.PostgresError) as exc:
        print(f"bench failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        print(f"\nbench: figures written to {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
