"""`suite-contracts export|check`: write the JSON Schemas, or compare them with the committed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from contracts.events import EventType
from contracts.schemas import SCHEMA_DIR, breaking_changes, event_schema, export


def check(directory: Path) -> list[str]:
    problems = []
    for event_type in EventType:
        path = directory / f"{event_type.value}.json"
        if not path.exists():
            problems.append(f"{event_type.value}: no committed schema (run export)")
            continue
        committed = json.loads(path.read_text())
        problems += [
            f"{event_type.value}: {p}"
            for p in breaking_changes(committed, event_schema(event_type))
        ]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="suite-contracts", description=__doc__)
    parser.add_argument("command", choices=["export", "check"])
    parser.add_argument("--dir", type=Path, default=SCHEMA_DIR)
    args = parser.parse_args(argv)
    if args.command == "export":
        for path in export(args.dir):
            print(path)
        return 0
    problems = check(args.dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
