"""The command line of the orders service: `orders serve|api|worker|migrate|...`, and
`orders rebuild-sales-model` (the sales read model again from the topics, ADR 27)."""

import asyncio
import sys
from pathlib import Path

from orders.adapters import sales_model
from orders.bootstrap import build_spec
from orders.config import OrdersSettings
from servicekit.cli import run_service_cli
from servicekit.db import make_engine, make_sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"
REBUILD = "rebuild-sales-model"


async def rebuild_sales_model(settings: OrdersSettings) -> int:
    """Empty the sales read model and replay orders.events, billing.events and
    inventory.events into it."""
    engine = make_engine(settings.database_url, pool_size=2)
    try:
        rebuilt = await sales_model.rebuild(make_sessionmaker(engine), settings.kafka)
    except RuntimeError as exc:
        print(f"orders: {exc}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    print(
        f"sales read model rebuilt: {rebuilt.applied} events applied of {rebuilt.records} read"
        f" ({rebuilt.unreadable} unreadable)"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == [REBUILD]:
        return asyncio.run(rebuild_sales_model(OrdersSettings()))
    return run_service_cli(build_spec, MIGRATIONS_DIR, args)


if __name__ == "__main__":
    sys.exit(main())
