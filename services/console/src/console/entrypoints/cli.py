"""The console's command line: `console serve [--host H] [--port P]`.

`api` is the same as `serve` (the console has no worker), and `migrate` does nothing (it owns
no database), so the console runs under the same commands as the four services.
"""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from console.bootstrap import build_app
from console.config import ConsoleSettings
from servicekit.observability import configure_logging


def main(argv: list[str] | None = None) -> int:
    settings = ConsoleSettings()
    parser = argparse.ArgumentParser(prog="console", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for mode in ("serve", "api"):
        command = sub.add_parser(mode, help="serve the web console")
        command.add_argument("--host", default=settings.host)
        command.add_argument("--port", type=int, default=settings.port)
    sub.add_parser("migrate", help="nothing to do: the console owns no database")
    args = parser.parse_args(argv)
    configure_logging("console", settings.log_level, json_logs=settings.json_logs)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per call to a service
    if args.command == "migrate":
        logging.getLogger("console").info("the console owns no database: nothing to migrate")
        return 0
    app = build_app(settings)
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
