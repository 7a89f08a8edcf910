"""The command line every service shares: serve, api, worker, migrate, revision, specs."""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Callable
from pathlib import Path

import uvicorn
from alembic import command as alembic_command

from servicekit.migrations import alembic_config, upgrade
from servicekit.observability import configure_logging
from servicekit.runtime import Runtime, ServiceSpec
from servicekit.tracing import configure_tracing

MODES = {"serve": (True, True), "api": (True, False), "worker": (False, True)}
# After SIGTERM, requests in hand get this long to finish (the Kubernetes APIs' grace period
# covers their preStop pause plus this; deploy/validate.sh checks it).
GRACEFUL_SHUTDOWN_SECONDS = 20
# Net new container objects between two young collections (CPython's default: 700). See ADR 37.
YOUNG_COLLECTION_THRESHOLD = 10_000


def run_service_cli(
    build_spec: Callable[[], ServiceSpec], migrations_dir: Path, argv: list[str] | None = None
) -> int:
    spec = build_spec()
    parser = argparse.ArgumentParser(prog=spec.name, description=spec.description)
    sub = parser.add_subparsers(dest="command", required=True)
    for mode, help_text in (
        ("serve", "HTTP API and worker (consumers + outbox relay) in one process"),
        ("api", "HTTP API only"),
        ("worker", "consumers and outbox relay, with /health and /metrics"),
    ):
        command = sub.add_parser(mode, help=help_text)
        command.add_argument("--host", default=spec.settings.host)
        command.add_argument("--port", type=int, default=spec.settings.port)
    sub.add_parser("migrate", help="apply the database migrations")
    revision = sub.add_parser("revision", help="autogenerate a migration from the tables")
    revision.add_argument("-m", "--message", required=True)
    sub.add_parser("asyncapi", help="print the AsyncAPI document")
    sub.add_parser("openapi", help="print the OpenAPI document")
    args = parser.parse_args(argv)

    configure_logging(spec.name, spec.settings.log_level, json_logs=spec.settings.json_logs)
    if args.command == "migrate":
        upgrade(migrations_dir, spec.settings.database_url)
        return 0
    if args.command == "revision":
        config = alembic_config(migrations_dir, spec.settings.database_url)
        alembic_command.revision(config, message=args.message, autogenerate=True)
        return 0
    if args.command in ("asyncapi", "openapi"):
        runtime = Runtime(spec, api=True, worker=True)
        document = (
            runtime.asyncapi() if args.command == "asyncapi" else runtime.create_app().openapi()
        )
        json.dump(document, sys.stdout, indent=2)
        print()
        return 0
    api, worker = MODES[args.command]
    configure_tracing(spec.name)  # only where OTEL_EXPORTER_OTLP_ENDPOINT is set
    app = Runtime(spec, api=api, worker=worker).create_app()
    tune_the_collector()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,  # servicekit's own access log: JSON with the route and the trace id
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    return 0


def tune_the_collector() -> None:
    """Fit CPython's cyclic garbage collector to a long-running service (ADR 37).

    What start-up built (modules, models, tables, routes: ~240,000 objects in orders) lives as
    long as the process: frozen, a full collection no longer walks it (~160 ms on the event
    loop each time). A request or an event leaves its objects to reference counting; at the
    default threshold the many it holds while in flight made a young collection every ~700
    and promoted them, and collecting was ~5 % of an order create's CPU.
    """
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, old)
