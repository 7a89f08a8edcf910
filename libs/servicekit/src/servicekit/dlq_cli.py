"""`suite-dlq list|replay`: inspect a dead-letter topic and send its messages back.

    suite-dlq list orders.inbound [--json] [--value-chars 500] [--wait 10]
    suite-dlq replay orders.inbound --all | --offset N [--offset M ...] [--wait 10]

Topics are named as in the catalogue (`orders.inbound`); the `.dlq` suffix and the deployment's
`KAFKA_TOPIC_PREFIX` are added here. Connection settings come from `KAFKA_*`.

Both read the dead-letter topic up to its end offsets within `--wait` seconds and say how much they
read. A partial read is an error (exit 3): `list` prints what it got and says what is missing,
`replay` replays nothing.

A message dead-lettered twice (its consumer stopped before its progress was committed, or two
consumer groups failed on it) is two letters: `list` marks the later one as a copy of the
earlier, and `replay` publishes each message once, skipping its copies.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from servicekit.dlq import (
    ATTEMPTS,
    CONSUMER,
    ERROR_TYPE,
    FAILED_AT,
    ORIGINAL_OFFSET,
    ORIGINAL_PARTITION,
    DeadLetter,
    TopicScan,
    copies_of,
    dead_letters_of,
    letter_document,
    replay,
    scan_topic,
    text_of,
)
from servicekit.settings import KafkaSettings

PARTIAL_READ = 3


def as_json(
    letter: DeadLetter, value_chars: int, copy_of: DeadLetter | None = None
) -> dict[str, Any]:
    """One dead letter for `list --json`: where it is, where it came from, why, key and value,
    and the earlier letter of the same message it is a copy of."""
    return letter_document(letter, value_chars, copy_of)


def _as_line(letter: DeadLetter, value_chars: int, copy_of: DeadLetter | None = None) -> str:
    original = (
        f"{letter.original_topic}/{letter.headers.get(ORIGINAL_PARTITION, '?')}"
        f"/{letter.headers.get(ORIGINAL_OFFSET, '?')}"
    )
    copy = "" if copy_of is None else f"\tcopy of {copy_of.partition}/{copy_of.offset}"
    return (
        f"{letter.partition}/{letter.offset}\t{letter.headers.get(FAILED_AT, '')}\t"
        f"{letter.headers.get(CONSUMER, '')}\t{letter.headers.get(ERROR_TYPE, '')}"
        f"\tattempts={letter.headers.get(ATTEMPTS, '?')}\tfrom={original}{copy}"
        f"\t{letter.error[:200]}\n\tkey={text_of(letter.key, value_chars)}"
        f"\n\tvalue={text_of(letter.value, value_chars)}"
    )


def _report(scan: TopicScan, wait: float) -> str:
    read = len(scan.records)
    if scan.complete:
        return f"read all {read} message(s) of {scan.topic}"
    return (
        f"PARTIAL READ: {read} of {scan.available} message(s) of {scan.topic} within {wait:g} s "
        f"({'; '.join(scan.shortfall())}); retry, or give more --wait"
    )


async def _run(args: argparse.Namespace) -> int:
    kafka = KafkaSettings()
    dlq_topic = kafka.topic(args.topic if args.topic.endswith(".dlq") else f"{args.topic}.dlq")
    scan = await scan_topic(kafka, dlq_topic, wait_seconds=args.wait)
    letters = dead_letters_of(scan)
    copies = copies_of(letters)
    report = _report(scan, args.wait)
    if args.command == "list":
        if args.json:
            document = {
                "topic": dlq_topic,
                "complete": scan.complete,
                "read": len(letters),
                "available": scan.available,
                "messages": [
                    as_json(letter, args.value_chars, copies.get(letter.position))
                    for letter in letters
                ],
            }
            json.dump(document, sys.stdout, indent=2)
            print()
        else:
            for letter in letters:
                print(_as_line(letter, args.value_chars, copies.get(letter.position)))
        print(report, file=sys.stderr)
        return 0 if scan.complete else PARTIAL_READ
    if not scan.complete:
        print(f"{report}\nnothing replayed", file=sys.stderr)
        return PARTIAL_READ
    wanted = set(args.offset)
    chosen = letters if args.all else [letter for letter in letters if letter.offset in wanted]
    missing = wanted - {letter.offset for letter in chosen}
    if missing:
        print(f"no message at offset(s) {sorted(missing)} of {dlq_topic}", file=sys.stderr)
    if not chosen:
        print("nothing to replay (give --all or existing --offset values)", file=sys.stderr)
        return 1
    copies_chosen = copies_of(chosen)
    once = [letter for letter in chosen if letter.position not in copies_chosen]
    count = await replay(kafka, once)
    skipped = len(chosen) - len(once)
    also = f"; skipped {skipped} copy(ies) of a message replayed once" if skipped else ""
    print(f"{report}; replayed {count} message(s) to their original topics{also}")
    return 1 if missing else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="suite-dlq", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="list dead letters: key, value, origin and error")
    listing.add_argument("topic", help="e.g. orders.inbound")
    listing.add_argument("--json", action="store_true", help="one JSON document")
    listing.add_argument(
        "--value-chars", type=int, default=500, help="keys and values cut to this many characters"
    )
    again = sub.add_parser("replay", help="publish dead letters again to their original topic")
    again.add_argument("topic")
    which = again.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true")
    which.add_argument("--offset", type=int, action="append", default=[])
    for command in (listing, again):
        command.add_argument(
            "--wait", type=float, default=10.0, help="seconds to read the topic (default 10)"
        )
    return asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
