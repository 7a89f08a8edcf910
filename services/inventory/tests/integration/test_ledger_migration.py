"""The migration that sets the ledger rows of backorders served together to their own balances,
on a real PostgreSQL: only reservation rows that were wrong, only where the level's ledger adds
up to the level."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

from sqlalchemy import insert, select

from inventory.adapters.tables import products, stock_levels, stock_movements
from inventory.domain.model import MAIN_WAREHOUSE
from inventory.entrypoints.cli import MIGRATIONS_DIR
from servicekit.testing import TemporaryDatabases, migrated_up_to

BEFORE_FIX = "d8a4f1c7e903"  # the revision before the ledger's balances were set right


def row(sku: str, kind: str, change: tuple[str, str], left: tuple[str, str]) -> dict[str, Any]:
    """A ledger row: (on hand, reserved) changed by `change`, leaving `left`."""
    quantity = change[1] if kind == "reservation" else change[0]
    return {
        "warehouse": MAIN_WAREHOUSE,
        "sku": sku,
        "kind": kind,
        "quantity_change": D(quantity),
        "on_hand_change": D(change[0]),
        "reserved_change": D(change[1]),
        "on_hand": D(left[0]),
        "reserved": D(left[1]),
        "reference": f"ref-{sku}",
    }


async def test_served_backorders_rows_get_their_running_balance(
    databases: TemporaryDatabases,
) -> None:
    served, partial = "SERVED", "PARTIAL"  # the second's ledger misses a change of its level
    async with migrated_up_to(
        databases, MIGRATIONS_DIR, "inventory_ledger_fix", BEFORE_FIX
    ) as database:
        sessions = database.sessions
        async with sessions() as session, session.begin():
            for sku, on_hand, reserved in ((served, "10", "9"), (partial, "12", "9")):
                await session.execute(insert(products).values(sku=sku, name=sku, kind="product"))
                await session.execute(
                    insert(stock_levels).values(
                        warehouse=MAIN_WAREHOUSE, sku=sku, on_hand=D(on_hand), reserved=D(reserved)
                    )
                )
            for sku in (served, partial):
                # A receipt served three waiting orders; each row told the last one's balance.
                await session.execute(
                    insert(stock_movements),
                    [
                        row(sku, "receipt", ("10", "0"), ("10", "0")),
                        row(sku, "reservation", ("0", "4"), ("10", "9")),
                        row(sku, "reservation", ("0", "2"), ("10", "9")),
                        row(sku, "reservation", ("0", "3"), ("10", "9")),
                        row(sku, "shipment", ("-1", "-1"), ("9", "8")),
                        # Wrong too, but not by this bug (it wrote reservations): left alone.
                        row(sku, "receipt", ("1", "0"), ("10", "7")),
                        row(sku, "reservation", ("0", "1"), ("10", "9")),  # right already
                    ],
                )

        await database.to_head()

        async with sessions() as session:
            ledgers = {
                sku: [
                    (kind, on_hand, reserved)
                    for kind, on_hand, reserved in await session.execute(
                        select(
                            stock_movements.c.kind,
                            stock_movements.c.on_hand,
                            stock_movements.c.reserved,
                        )
                        .where(stock_movements.c.sku == sku)
                        .order_by(stock_movements.c.id)
                    )
                ]
                for sku in (served, partial)
            }
        assert ledgers[served] == [
            ("receipt", D(10), D(0)),
            ("reservation", D(10), D(4)),
            ("reservation", D(10), D(6)),
            ("reservation", D(10), D(9)),
            ("shipment", D(9), D(8)),
            ("receipt", D(10), D(7)),
            ("reservation", D(10), D(9)),
        ]
        # Its ledger does not add up to its level (12 on hand): nothing is guessed.
        assert [balance[1:] for balance in ledgers[partial][1:4]] == [(D(10), D(9))] * 3
