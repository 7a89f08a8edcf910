"""The command line of the documents service: `documents serve|api|worker|migrate|...`."""

import sys
from pathlib import Path

from documents.adapters.pdf import FontUnavailable
from documents.bootstrap import build_renderer, build_spec
from documents.config import DocumentsSettings
from servicekit.cli import run_service_cli

MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"

RENDERING_COMMANDS = ("serve", "worker")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in RENDERING_COMMANDS:
        # Before anything connects or consumes: a worker without its fonts must not start.
        try:
            build_renderer(DocumentsSettings()).check_fonts()
        except FontUnavailable as exc:
            print(f"documents: cannot start: {exc}", file=sys.stderr)
            return 2
    return run_service_cli(build_spec, MIGRATIONS_DIR, args)


if __name__ == "__main__":
    sys.exit(main())
