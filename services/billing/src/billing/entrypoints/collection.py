"""The daily collection run in the worker: a background loop that runs today's, once."""

from __future__ import annotations

import logging

from billing.adapters.unit_of_work import SqlUnitOfWork
from billing.config import BillingSettings
from billing.entrypoints.worker_jobs import Clock, WorkerJob
from billing.service_layer.collection import run_collection

log = logging.getLogger(__name__)

__all__ = ["Clock", "CollectionLoop"]


class CollectionLoop(WorkerJob):
    """Checks every `collection_interval_seconds` whether the clock's day has been run."""

    def __init__(self, settings: BillingSettings, clock: Clock) -> None:
        async def collect(uow: SqlUnitOfWork) -> None:
            await run_collection(uow, clock().date(), settings.levels)

        super().__init__(
            "billing-collection",
            collect,
            enabled=settings.collection_enabled,
            interval=settings.collection_interval_seconds,
            logger=log,
        )
