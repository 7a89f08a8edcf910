"""`suite-ops lag|outbox`: consumer lag per partition, outbox backlog and parked outbox rows.

    suite-ops lag [--group orders] [--topic orders.events]  # committed=- : never committed
    suite-ops outbox [--service orders]                 # backlog, oldest age, parked rows
    suite-ops outbox retry --service orders ID [ID...]  # parked rows back into the queue
    suite-ops outbox retry --service orders --all

Kafka settings come from `KAFKA_*`; each service's database from `<SERVICE>_DATABASE_URL`.
Dead letters have their own command: `suite-dlq list|replay`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

from servicekit.db import make_engine
from servicekit.operations import (  # re-exported: the commands' building blocks
    consumer_lag,
    outbox_report,
    retry_parked_rows,
    subscribed_topics,
)
from servicekit.settings import KafkaSettings

SERVICES = ("orders", "inventory", "billing", "documents")
__all__ = ["consumer_lag", "main", "outbox_backlog", "retry_parked", "subscribed_topics"]


async def outbox_backlog(database_url: str) -> tuple[int, float, list[dict[str, Any]]]:
    """(events waiting, age in seconds of the oldest one, parked rows) of one service's outbox."""
    engine = make_engine(database_url, pool_size=1)
    try:
        report = await outbox_report(engine)
    finally:
        await engine.dispose()
    return report.unpublished, report.oldest_age_seconds, report.parked


async def retry_parked(database_url: str, ids: list[int] | None) -> int:
    """Put parked rows (all of them when `ids` is None) back in the queue; returns how many."""
    engine = make_engine(database_url, pool_size=1)
    try:
        return await retry_parked_rows(engine, ids)
    finally:
        await engine.dispose()


def _database_url(service: str) -> str | None:
    url = os.environ.get(f"{service.upper()}_DATABASE_URL")
    if not url:
        print(f"{service}\t(no {service.upper()}_DATABASE_URL)", file=sys.stderr)
    return url


async def _outbox(args: argparse.Namespace) -> int:
    exit_code = 0
    for service in args.service or SERVICES:
        if not (url := _database_url(service)):
            exit_code = 2
            continue
        if args.action == "retry":
            retried = await retry_parked(url, None if args.all else args.ids)
            print(f"{service}\tretried {retried} parked row(s)")
            continue
        count, age, parked = await outbox_backlog(url)
        print(f"{service}\tunpublished={count}\toldest_age_seconds={age:.1f}\tparked={len(parked)}")
        for row in parked:
            print(
                f"{service}\tparked id={row['id']}\tkey={row['key']}\ttype={row['event_type']}"
                f"\tfailed_at={row['failed_at'].isoformat()}\terror={row['error']}"
            )
    return exit_code


async def _run(args: argparse.Namespace) -> int:
    if args.command == "lag":
        kafka = KafkaSettings()
        total = 0
        topics = [kafka.topic(name) for name in args.topic or ()]
        for group in args.group or [kafka.topic_prefix + s for s in SERVICES]:
            for topic, partition, offset, lag in await consumer_lag(kafka, group, topics):
                committed = "-" if offset is None else offset
                print(f"{group}\t{topic}\t{partition}\tcommitted={committed}\tlag={lag}")
                total += lag
        print(f"total lag: {total}", file=sys.stderr)
        return 0
    return await _outbox(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="suite-ops", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    lag = sub.add_parser("lag", help="consumer lag per partition of the services' groups")
    lag.add_argument("--group", action="append", help="a consumer group (default: all four)")
    lag.add_argument(
        "--topic",
        action="append",
        help="a catalogue topic to include even if the group has neither committed on it nor a "
        "member subscribed to it (e.g. orders.events)",
    )
    outbox = sub.add_parser(
        "outbox", help="outbox events waiting, the oldest one's age, and parked rows"
    )
    outbox.add_argument("--service", action="append", choices=SERVICES)
    actions = outbox.add_subparsers(dest="action")
    retry = actions.add_parser("retry", help="put parked rows back in the queue (after a fix)")
    retry.add_argument("--service", action="append", choices=SERVICES, required=True)
    chosen = retry.add_mutually_exclusive_group(required=True)
    chosen.add_argument("ids", nargs="*", type=int, default=[], help="ids of parked rows")
    chosen.add_argument("--all", action="store_true", help="every parked row")
    args = parser.parse_args(argv)
    if getattr(args, "action", None) == "retry" and not args.all and not args.ids:
        parser.error("outbox retry: give row ids or --all")
    return asyncio.run(_run(args))


if __name__ == "__main__":
    sys.exit(main())
