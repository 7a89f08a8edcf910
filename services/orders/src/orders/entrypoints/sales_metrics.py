"""The sales read model's figures as Prometheus gauges, for the Grafana "sales" dashboard.

Workers refresh them from the read model every `ORDERS_SALES_METRICS_INTERVAL_SECONDS`: every
worker replica exports the same figures (dashboards take the `max` per currency).
"""

from __future__ import annotations

import logging

from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orders.adapters.sales_figures import SqlSalesFigures
from servicekit.background import BackgroundLoop

log = logging.getLogger(__name__)

REVENUE_NET = Gauge(
    "suite_sales_revenue_net",
    "Revenue net of credit notes, all time, per currency (the sales read model)",
    ["currency"],
)
CREDITED_NET = Gauge(
    "suite_sales_credited_net",
    "Net of the credit notes issued, all time, per currency (the sales read model)",
    ["currency"],
)
INTAKE_NET = Gauge(
    "suite_sales_intake_net",
    "Net of the confirmed orders not cancelled, as last revised, per currency",
    ["currency"],
)
GAUGES = {"revenue_net": REVENUE_NET, "credited_net": CREDITED_NET, "intake_net": INTAKE_NET}


async def refresh(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Set the gauges from the read model."""
    async with sessionmaker() as session, session.begin():
        totals = await SqlSalesFigures(session).totals()
    for currency, figures in totals.items():
        for name, gauge in GAUGES.items():
            gauge.labels(currency=currency).set(float(figures.get(name) or 0))


class SalesMetrics:
    """The loop that keeps the gauges fresh in a worker."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.loop: BackgroundLoop | None = None

    async def start(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        async def step() -> float | None:
            await refresh(sessionmaker)
            return None

        self.loop = BackgroundLoop("orders-sales-metrics", step, interval=self.interval)
        await self.loop.start()

    async def stop(self) -> None:
        if self.loop is not None:
            await self.loop.stop()
