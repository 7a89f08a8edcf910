"""Pieces of the events the inventory publishes (recorded through the unit of work)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from contracts.common import StockLine
from inventory.domain.model import tidy

SOURCE = "/inventory"


def stock_lines(quantities: Mapping[str, Decimal]) -> list[StockLine]:
    return [StockLine(sku=sku, quantity=tidy(q)) for sku, q in sorted(quantities.items())]
