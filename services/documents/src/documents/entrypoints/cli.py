"""The command line of the documents service: `documents serve|api|worker|migrate|...`."""

import sys
from pathlib import Path

from documents.bootstrap import build_spec
from servicekit.cli import run_service_cli

MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"


def main() -> int:
    return run_service_cli(build_spec, MIGRATIONS_DIR)


if __name__ == "__main__":
    sys.exit(main())
