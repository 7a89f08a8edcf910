"""The instructions one path of orders executes, counted by callgrind, for this checkout and
another: a before/after figure that the machine's drift does not move.

The CPU time of a whole bench, or of one process, moved by a quarter to a third within an hour
on the shared machine this suite is measured on (docs/performance.md), more than most changes
move it. The instructions a process executes for the same work hardly move at all from one run to
the next, so a change of a few per cent shows. They are not time: an instruction that misses the
cache costs more than one that does not, and the kernel's work (sending to PostgreSQL) is not
counted. So this is evidence that a change does less work, and the benches still say what it is
worth.

Paths, each run in one process on the running stack's databases, every transaction rolled back so
each run starts from the same rows:

- `apply`: orders' own consumer, built by its runtime, applies `stock.reserved` to orders that
  wait for stock, in batches of 100, as it applies a backlog after a receipt;
- `create`: orders' API (its app, in the process, over ASGI) creates orders as `POST /orders`
  with an Idempotency-Key, as the bench's creates do (the in-process client is counted too);
- `confirm`: orders' API confirms draft orders (`POST /orders/{id}/confirm`), as every order of
  the bench's life and burst is confirmed;
- `reserve`: inventory's own consumer reserves the stock of `order.confirmed` events, in batches
  of 100, for a product with stock, as it does for every order of a life;
- `document`: documents' own consumer makes the order confirmation of the same events, in
  batches of 100. Only documents' own process is counted: its rendering processes are started
  as the service starts them and callgrind does not follow them (a render's own instructions
  are another matter, `docs/performance.md`); their PDFs go to a folder of the run's own.

Usage, with the stack up (`make up`) and valgrind installed (`apt-get install valgrind`):

    uv run python scripts/instructions.py create
    git worktree add ../before <commit>
    (cd ../before && uv sync --frozen --python /usr/bin/python3.11)
    uv run python scripts/instructions.py apply --other ../before --pairs 2

The first run makes what the paths need and keeps it: a product with no stock and a customer
whose orders for it wait (`apply` confirms as many as it applies events to) or stay drafts
(`confirm` makes as many as it confirms), their catalogue entry, and a product with stock enough
for every reservation (`reserve`). Each measurement warms the path up first and counts only the
measured passes (callgrind started with its instrumentation off, switched on and off by the
process itself). Under callgrind a process runs about forty times slower: a path of 200 takes a
minute or two.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections import namedtuple
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from bench import Api, order_content

if TYPE_CHECKING:
    from servicekit.runtime import Runtime

HERE = Path(__file__).resolve().parent.parent
SKU = "INSTRUMENTS-WAITING"  # no stock, ever: its confirmed orders wait for it
STOCKED = "INSTRUMENTS-STOCKED"  # stock enough for any count of reservations, never used up
STOCK_KEPT = 1_000_000
CUSTOMER = "Instruments customer"
COLLECTED = re.compile(r"Collected : (\d+)")


# --- what the paths need (over HTTP, this checkout) ----------------------------------------------


async def prepare(path: str, count: int) -> str:
    """The customer's id, once what `path` needs exists: the product known to orders and, for
    `apply`, `count` of the customer's orders waiting for it; for `confirm`, `count` drafts; for
    `reserve`, a product with stock."""
    orders, inventory = Api("orders", "sales", 8), Api("inventory", "warehouse", 2)
    try:
        await inventory.call(
            "PUT",
            f"/products/{SKU}",
            json={"name": "Instruments: never in stock", "kind": "product"},
        )
        for _ in range(120):
            if await orders.status(f"/items/{SKU}") == 200:
                break
            await asyncio.sleep(0.5)
        else:
            raise SystemExit(f"orders never learnt of {SKU}: is the stack's inventory running?")
        customer = await customer_id(orders)
        if path == "apply":
            await waiting_orders(orders, customer, count)
        elif path == "confirm":
            await draft_orders(orders, customer, count)
        elif path in ("reserve", "document"):
            await stocked_product(inventory)
        return customer
    finally:
        await orders.aclose()
        await inventory.aclose()


async def customer_id(orders: Api) -> str:
    found = await orders.call("GET", "/customers", params={"q": CUSTOMER, "limit": 1})
    if found["items"]:
        return str(found["items"][0]["id"])
    body = {
        "name": CUSTOMER,
        "email": "instruments@example.com",
        "billing_address": {
            "line1": "Calle Mayor 1",
            "postal_code": "28013",
            "city": "Madrid",
            "country": "ES",
        },
    }
    return str((await orders.call("POST", "/customers", json=body))["id"])


async def waiting_orders(orders: Api, customer: str, wanted: int) -> None:
    """Confirms orders of the product until `wanted` of the customer's wait for it."""
    path = f"/customers/{customer}/orders"
    params = {"fulfilment": "backordered", "view": "summary"}
    waiting = len(await orders.pages(path, params))
    if waiting < wanted:
        print(f"confirming {wanted - waiting} orders for the product with no stock")

        async def one() -> None:
            body = {"customer_id": customer, **order_content(SKU)}
            created = await orders.call("POST", "/orders", json=body)
            await orders.call("POST", f"/orders/{created['id']}/confirm")

        await asyncio.gather(*(one() for _ in range(wanted - waiting)))
    for _ in range(600):  # inventory answers each with a backorder
        if len(await orders.pages(path, params)) >= wanted:
            return
        await asyncio.sleep(0.5)
    raise SystemExit(f"fewer than {wanted} orders of {SKU} were backordered within 5 minutes")


async def draft_orders(orders: Api, customer: str, wanted: int) -> None:
    """Creates drafts of the product until the customer has `wanted` (a confirm is rolled back,
    so they stay drafts)."""
    path = f"/customers/{customer}/orders"
    drafts = len(await orders.pages(path, {"status": "draft", "view": "summary"}))
    if drafts < wanted:
        print(f"creating {wanted - drafts} draft orders")
        body = {"customer_id": customer, **order_content(SKU)}
        for _ in range(wanted - drafts):
            await orders.call("POST", "/orders", json=body)


async def stocked_product(inventory: Api) -> None:
    """The product every counted reservation takes from, with its stock (rolled back, so kept)."""
    await inventory.call(
        "PUT", f"/products/{STOCKED}", json={"name": "Instruments: in stock", "kind": "product"}
    )
    level = await inventory.call("GET", f"/stock/{STOCKED}")
    missing = STOCK_KEPT - Decimal(level["on_hand"])
    if missing > 0:
        body = {
            "sku": STOCKED,
            "kind": "receipt",
            "quantity": str(missing),
            "reason": "instruments",
        }
        await inventory.call("POST", "/stock/adjustments", json=body)


# --- one measurement (a child process, under callgrind, with a checkout's code) ------------------


def instrumentation(on: bool) -> None:
    """Callgrind counts from here (`on`) or no more: the process switches it itself."""
    command = ["callgrind_control", "--instr=on" if on else "--instr=off", str(os.getpid())]
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603 - valgrind's own tool


def roll_back_every_transaction() -> None:
    """Every outer transaction ends in a rollback where it would commit: each run starts from
    the same rows, and the paths change nothing."""
    from sqlalchemy.ext.asyncio.session import AsyncSessionTransaction

    commit_or_rollback = AsyncSessionTransaction.__aexit__

    async def rolled_back(self: Any, kind: Any, error: Any, trace: Any) -> None:
        if kind is None and not self.nested:
            await self.rollback()
            return
        await commit_or_rollback(self, kind, error, trace)

    AsyncSessionTransaction.__aexit__ = rolled_back  # type: ignore[method-assign,assignment]


# A Kafka record as a consumer's batch holds it (what aiokafka's ConsumerRecord has).
Record = namedtuple("Record", "topic partition offset key value headers timestamp")
BATCH = 100  # records a consumer's batch holds, as a backlog's batches do


def in_batches(consumer: Any, records: list[Any]) -> Callable[[int], Awaitable[None]]:
    """A step that hands the consumer its records' next batch at each BATCH-th index."""

    async def step(index: int) -> None:
        if index % BATCH == 0:
            await consumer.process_batch(records[index : index + BATCH])

    return step


async def counted_batches(consumer: Any, records: list[Any]) -> None:
    """The records handed to the consumer in batches, warm and then counted. A batch that
    failed as a whole (and was handled again one record at a time) ends the run: that path is
    not the one to count. Checked outside the counted passes (reading the metric costs more
    than some paths)."""
    from prometheus_client import REGISTRY

    labels = {"service": consumer.service, "topic": records[0].topic}

    def one_by_one() -> float:
        found = REGISTRY.get_sample_value("suite_consumer_batches_one_by_one_total", labels)
        return found or 0.0

    before = one_by_one()
    await counted_twice(len(records), in_batches(consumer, records))
    if one_by_one() != before:
        raise SystemExit("a batch failed as a whole: see the consumer's log above")


async def measure_apply(count: int, customer: str) -> None:
    from sqlalchemy import text

    from contracts import EventType, new_event
    from contracts.events import StockReserved
    from orders.bootstrap import build_spec
    from servicekit.runtime import Runtime

    runtime = Runtime(build_spec(), api=False, worker=True)
    [consumer] = [c for c in runtime.consumers if c.topic_name.endswith("inventory.events")]
    query = text(
        "SELECT id FROM orders WHERE customer_id = :customer AND status = 'open'"
        " AND fulfilment = 'backordered' ORDER BY id LIMIT :count"
    )
    async with runtime.sessionmaker() as session:
        ids = (await session.execute(query, {"customer": customer, "count": count})).scalars()
        order_ids = [str(order_id) for order_id in ids]
    if len(order_ids) < count:
        raise SystemExit(f"{len(order_ids)} orders wait for {SKU}, not {count}")
    records = []
    for offset, order_id in enumerate(order_ids, start=10**9):
        data = StockReserved.model_validate(
            {"order_id": order_id, "lines": [{"sku": SKU, "quantity": "1"}]}
        )
        event = new_event(EventType.STOCK_RESERVED, data, source="/inventory", subject=order_id)
        event = event.model_copy(update={"sequence": offset})
        value = event.model_dump_json().encode()
        records.append(
            Record("inventory.events", offset % 6, offset, order_id.encode(), value, [], 0)
        )
    await counted_batches(consumer, records)
    await runtime.engine.dispose()


@contextlib.asynccontextmanager
async def orders_api() -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    """Orders' app, started in this process, and a client that calls it over ASGI as sales."""
    import servicekit.runtime
    from orders.bootstrap import build_spec
    from servicekit.auth import AuthSettings, mint_token

    runtime = servicekit.runtime.Runtime(build_spec(), api=True, worker=False)
    app = runtime.create_app()
    for hook in runtime.spec.on_startup:
        await hook(runtime)
    auth = AuthSettings()
    assert auth.dev_secret is not None, "AUTH_DEV_SECRET is set by deploy/local/env.sh"
    token = mint_token(
        auth.dev_secret.get_secret_value(),
        subject="instruments",
        roles=["sales"],
        issuer=auth.issuer,
        audience=auth.audience,
        ttl_seconds=3600,
    )
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://orders",
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        yield runtime, client
    finally:
        await client.aclose()
        await runtime.engine.dispose()
        await runtime.numbering_engine.dispose()


async def counted_twice(count: int, one: Callable[[int], Awaitable[None]]) -> None:
    """`one` for 0..count-1 to warm up, then again counted."""
    from servicekit.cli import tune_the_collector

    tune_the_collector()  # as the service's process does
    for index in range(count):
        await one(index)
    instrumentation(on=True)
    for index in range(count):
        await one(index)
    instrumentation(on=False)


async def measure_create(count: int, customer: str) -> None:
    async with orders_api() as (_, client):
        body = {"customer_id": customer, **order_content(SKU)}

        async def create(_: int) -> None:
            answer = await client.post(
                "/orders", headers={"Idempotency-Key": str(uuid.uuid4())}, json=body
            )
            if answer.status_code != 201:
                raise SystemExit(f"a create answered {answer.status_code}: {answer.text}")

        await counted_twice(count, create)


async def measure_confirm(count: int, customer: str) -> None:
    from sqlalchemy import text

    async with orders_api() as (runtime, client):
        query = text(
            "SELECT id FROM orders WHERE customer_id = :customer AND status = 'draft'"
            " ORDER BY id LIMIT :count"
        )
        async with runtime.sessionmaker() as session:
            found = await session.execute(query, {"customer": customer, "count": count})
            order_ids = [str(order_id) for order_id in found.scalars()]
        if len(order_ids) < count:
            raise SystemExit(f"{len(order_ids)} drafts of {SKU}, not {count}")

        async def confirm(index: int) -> None:
            answer = await client.post(f"/orders/{order_ids[index]}/confirm")
            if answer.status_code != 200:
                raise SystemExit(f"a confirm answered {answer.status_code}: {answer.text}")

        await counted_twice(count, confirm)


def confirmations(count: int, customer: str) -> list[Any]:
    """`count` records of `order.confirmed`, each of a new order of the stocked product."""
    from contracts import EventType, new_event
    from contracts.common import OrderSnapshot
    from contracts.events import OrderConfirmed

    zero, lines = "0", order_content(STOCKED)["lines"]
    records = []
    for offset in range(10**9, 10**9 + count):
        order_id = str(uuid.uuid4())  # a new order each: every event is acted on
        amounts = {"net": "209.90", "tax": zero, "gross": "209.90"}
        snapshot = OrderSnapshot.model_validate(
            {
                "order_id": order_id,
                "number": f"SO-I{order_id[:8]}",  # documents refuses a number used before
                "customer": {"id": customer, "name": CUSTOMER},
                "order_date": "2026-12-01",
                "currency": "EUR",
                "payment_terms": {"days": 30},
                "totals": amounts,
                "lines": [
                    line
                    | {"line_no": number, "tax_rate": zero, "net_amount": line["unit_price"]}
                    | {"tax_amount": zero, "gross_amount": line["unit_price"]}
                    for number, line in enumerate(lines, start=1)
                ],
            }
        )
        data = OrderConfirmed(order=snapshot)
        event = new_event(EventType.ORDER_CONFIRMED, data, source="/orders", subject=order_id)
        value = event.model_copy(update={"sequence": offset}).model_dump_json().encode()
        records.append(Record("orders.events", offset % 6, offset, order_id.encode(), value, [], 0))
    return records


async def measure_reserve(count: int, customer: str) -> None:
    from inventory.bootstrap import build_spec
    from servicekit.runtime import Runtime

    runtime = Runtime(build_spec(), api=False, worker=True)
    [consumer] = [c for c in runtime.consumers if c.topic_name.endswith("orders.events")]
    await counted_batches(consumer, confirmations(count, customer))
    await runtime.engine.dispose()


async def measure_document(count: int, customer: str) -> None:
    from documents.bootstrap import build_spec
    from servicekit.runtime import Runtime

    runtime = Runtime(build_spec(), api=False, worker=True)
    [consumer] = [c for c in runtime.consumers if c.topic_name.endswith("orders.events")]
    # The rendering processes alone (not the e-mail sender or the file sweeper): they are
    # started by the service, not traced by callgrind, and the PDFs they make go to a folder
    # of this run's own (`counted`).
    hooks = {hook.__name__: hook for hook in [*runtime.spec.on_startup, *runtime.spec.on_shutdown]}
    await hooks["start_rendering"](runtime)
    try:
        await counted_batches(consumer, confirmations(count, customer))
    finally:
        await hooks["stop_rendering"](runtime)
        await runtime.engine.dispose()


MEASURES = {
    "apply": measure_apply,
    "create": measure_create,
    "confirm": measure_confirm,
    "reserve": measure_reserve,
    "document": measure_document,
}
UNITS = {
    "apply": "event",
    "create": "create",
    "confirm": "confirm",
    "reserve": "event",
    "document": "document",
}


def child(path: str, count: int, customer: str) -> None:
    roll_back_every_transaction()
    asyncio.run(MEASURES[path](count, customer))


# --- the driver ----------------------------------------------------------------------------------


def counted(checkout: Path, path: str, count: int, customer: str) -> int:
    """Instructions per unit of `path` with `checkout`'s code (one process under callgrind)."""
    python = checkout / ".venv" / "bin" / "python"
    if not python.exists():
        raise SystemExit(f"{checkout} has no .venv: run `uv sync --frozen` there first")
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        "--callgrind-out-file=/dev/null",
        str(python),
        str(Path(__file__).resolve()),
        "--child",
        path,
        "--count",
        str(count),
        "--customer",
        customer,
    ]
    # The same hash seed on both sides: sets and dicts of strings iterate the same way.
    environment = os.environ | {"PYTHONHASHSEED": "0"}
    with tempfile.TemporaryDirectory(prefix="instructions-") as documents:
        # Rendered PDFs (`document`) go here, and go with it: their rows were rolled back.
        environment["DOCUMENTS_STORAGE_DIR"] = documents
        done = subprocess.run(  # noqa: S603 - this script, under valgrind
            command, cwd=checkout, env=environment, capture_output=True, text=True
        )
    found = COLLECTED.findall(done.stderr)
    if done.returncode != 0 or not found:
        raise SystemExit(f"the measurement failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return int(found[-1]) // count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", choices=sorted(MEASURES))
    parser.add_argument("--count", type=int, default=200, help="events or creates counted")
    parser.add_argument("--other", type=Path, help="another checkout, measured in turn")
    parser.add_argument("--pairs", type=int, default=1, help="measurements of each checkout")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--customer", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.path, args.count, args.customer)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    customer = asyncio.run(prepare(args.path, args.count))
    sides = [("this checkout", HERE)]
    if args.other is not None:
        sides.append(("other", args.other.resolve()))
    figures: dict[str, list[int]] = {label: [] for label, _ in sides}
    unit = UNITS[args.path]
    for _ in range(args.pairs):
        for label, checkout in sides:
            figure = counted(checkout, args.path, args.count, customer)
            figures[label].append(figure)
            print(f"{time.strftime('%H:%M:%S')} {label}: {figure:,} instructions per {unit}")
    if args.other is not None:
        ours, theirs = min(figures["this checkout"]), min(figures["other"])
        print(f"this checkout / other: {ours / theirs:.4f} (fewest of each)")


if __name__ == "__main__":
    main()
