"""The webhook dispatcher: a background loop of the worker that sends due deliveries.

Each round claims up to `WEBHOOK_CONCURRENCY` due deliveries (a short transaction that leases
them), sends them concurrently outside any transaction, each cut at `WEBHOOK_TIMEOUT_SECONDS`
(a receiver that never answers holds one slot for that long, never the others), and records each
outcome as soon as it is known, in one transaction with the others known by then (under load,
most of a round's). It also forgets finished deliveries older than `WEBHOOK_RETENTION_DAYS`.
Several workers share the outbox: claimed rows are skipped by others.

A new or redelivered delivery wakes it at once: the transaction that writes it NOTIFYs
`DELIVERIES_CHANNEL`, which the dispatcher LISTENs on (a connection of its own). It still polls
every `WEBHOOK_POLL_INTERVAL_SECONDS`, for retries falling due and any notification lost while
its connection was down.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.adapters.webhooks import DELIVERIES_CHANNEL
from orders.service_layer.webhooks import DueDelivery, RetryRules, record_attempts
from servicekit.background import BackgroundLoop
from servicekit.notify import Listener
from servicekit.webhooks import (
    WEBHOOK_ATTEMPTS,
    WEBHOOK_RESPONSE_SECONDS,
    Attempt,
    Resolver,
    WebhookSettings,
    http_client,
    post,
    resolve,
    retry_delay,
    signed_headers,
)

log = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 600.0
PRUNE_BATCH = 1000


class WebhookDispatcher:
    """Sends due webhook deliveries until stopped."""

    def __init__(
        self,
        settings: WebhookSettings,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        resolver: Resolver = resolve,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.resolver = resolver
        self.rules = RetryRules(
            max_attempts=settings.max_attempts,
            disable_after_failures=settings.disable_after_failures,
            retry_delay=lambda attempts: retry_delay(attempts, settings),
        )
        # Long enough for the attempt and its recording; then a dead dispatcher's rows are due.
        self.lease = timedelta(seconds=settings.timeout_seconds + 60)
        self._loop = BackgroundLoop(
            "orders-webhook-dispatcher",
            self._round,
            interval=settings.poll_interval_seconds,
            stop_timeout=settings.timeout_seconds + 5,
            on_error=self._stop_listening,  # the next round listens on a fresh connection
            logger=log,
        )
        self._listener: Listener | None = None
        self._sessionmaker: async_sessionmaker[AsyncSession] | None = None
        self._client: httpx.AsyncClient | None = None
        self._pruned_at = float("-inf")

    def wake(self) -> None:
        self._loop.wake()

    async def start(
        self, sessionmaker: async_sessionmaker[AsyncSession], database_url: str | None = None
    ) -> None:
        """Run until stopped; with `database_url`, woken at once by new deliveries (else it
        finds them by polling only)."""
        self._sessionmaker = sessionmaker
        self._client = http_client(self.settings)
        if database_url is not None:
            self._listener = Listener(database_url, DELIVERIES_CHANNEL, self._loop.wake)
        await self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()
        await self._stop_listening()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _stop_listening(self) -> None:
        if self._listener is not None:
            await self._listener.close()

    async def _round(self) -> float:
        if self._listener is not None:
            await self._listener.ensure()
        await self._prune_now_and_then()
        sent = await self.send_due()
        if sent >= self.settings.concurrency:
            return 0.0  # a full batch: more is likely waiting
        return await self._seconds_until_next()

    async def send_due(self) -> int:
        """Claim and send one batch of due deliveries; how many were attempted."""
        assert self._sessionmaker is not None, "the dispatcher is not started"
        async with self._sessionmaker() as session, session.begin():
            claimed = await SqlUnitOfWork(session).webhooks.claim_due(
                self.settings.concurrency, self.lease
            )
        sending = {asyncio.ensure_future(self._attempt(due)) for due in claimed}
        try:
            while sending:
                # Each outcome is recorded as soon as it is known; those known together (a
                # receiver answers in a few ms) in one transaction.
                done, sending = await asyncio.wait(sending, return_when=asyncio.FIRST_COMPLETED)
                await self._record([task.result() for task in done])
        finally:
            for task in sending:  # the round failed or was cancelled: so are its attempts
                task.cancel()
        return len(claimed)

    async def _attempt(self, due: DueDelivery) -> tuple[DueDelivery, Attempt]:
        assert self._client is not None
        delivery = due.delivery
        now = self.clock()
        headers = signed_headers(due.secret, delivery.message_id, delivery.payload, now)
        attempt = await post(
            self._client, due.url, delivery.payload, headers, self.settings, self.resolver
        )
        WEBHOOK_ATTEMPTS.labels("orders", "delivered" if attempt.delivered else "failed").inc()
        WEBHOOK_RESPONSE_SECONDS.labels("orders").observe(attempt.response_ms / 1000)
        if not attempt.delivered:
            log.info("webhook delivery %s to %s failed: %s", delivery.id, due.url, attempt.error)
        return due, attempt

    async def _record(self, attempts: list[tuple[DueDelivery, Attempt]]) -> None:
        assert self._sessionmaker is not None
        try:
            async with self._sessionmaker() as session, session.begin():
                await record_attempts(
                    SqlUnitOfWork(session), attempts, now=self.clock(), rules=self.rules
                )
        except Exception:
            # Their leases run out and they are attempted again: at least once, never lost.
            ids = ", ".join(due.delivery.id for due, _ in attempts)
            log.exception("could not record the attempts of webhook deliveries %s", ids)

    async def _seconds_until_next(self) -> float:
        assert self._sessionmaker is not None
        async with self._sessionmaker() as session:
            due = await SqlUnitOfWork(session).webhooks.next_due_at()
        if due is None:
            return self.settings.poll_interval_seconds
        wait = (due - self.clock()).total_seconds()
        return min(max(wait, 0.0), self.settings.poll_interval_seconds)

    async def _prune_now_and_then(self) -> None:
        if time.monotonic() - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = time.monotonic()
        await self.prune()

    async def prune(self) -> int:
        """Forget finished deliveries older than the retention period; how many."""
        assert self._sessionmaker is not None
        before = self.clock() - timedelta(days=self.settings.retention_days)
        total = 0
        while not self._loop.stopping:
            async with self._sessionmaker() as session, session.begin():
                pruned = await SqlUnitOfWork(session).webhooks.prune(before, PRUNE_BATCH)
            total += pruned
            if pruned < PRUNE_BATCH:
                break
        return total
