"""`suite-dlq list|replay`: inspect a dead-letter topic and send its messages back.

Topics are named as in the catalogue (`orders.inbound`); the `.dlq` suffix and the deployment's
`KAFKA_TOPIC_PREFIX` are added here. Connection settings come from `KAFKA_*`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from servicekit.dlq import ATTEMPTS, CONSUMER, ERROR_TYPE, FAILED_AT, read_dead_letters, replay
from servicekit.settings import KafkaSettings


async def _run(args: argparse.Namespace) -> int:
    kafka = KafkaSettings()
    dlq_topic = kafka.topic(args.topic if args.topic.endswith(".dlq") else f"{args.topic}.dlq")
    letters = await read_dead_letters(kafka, dlq_topic)
    if args.command == "list":
        for letter in letters:
            print(
                f"{letter.partition}/{letter.offset}\t{letter.headers.get(FAILED_AT, '')}\t"
                f"{letter.headers.get(CONSUMER, '')}\t{letter.headers.get(ERROR_TYPE, '')}"
                f"\tattempts={letter.headers.get(ATTEMPTS, '?')}\t{letter.error[:200]}"
            )
        print(f"{len(letters)} message(s) in {dlq_topic}", file=sys.stderr)
        return 0
    chosen = (
        letters if args.all else [letter for letter in letters if letter.offset in set(args.offset)]
    )
    if not chosen:
        print("nothing to replay (give --all or existing --offset values)", file=sys.stderr)
        return 1
    count = await replay(kafka, chosen)
    print(f"replayed {count} message(s) from {dlq_topic} to their original topics")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="suite-dlq", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="list dead letters with their errors")
    listing.add_argument("topic", help="e.g. orders.inbound")
    again = sub.add_parser("replay", help="publish dead letters again to their original topic")
    again.add_argument("topic")
    which = again.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true")
    which.add_argument("--offset", type=int, action="append", default=[])
    return asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
