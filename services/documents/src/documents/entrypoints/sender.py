"""The e-mail sender: a background loop of the worker that delivers queued e-mails.

It wakes when this process queues an e-mail, when the next queued e-mail is due, and at least
every `DOCUMENTS_EMAIL_POLL_INTERVAL_SECONDS` (e-mails queued by another process, e.g. a
separate API replica). Each attempt runs in a transaction of its own that holds the e-mail's
row lock (`FOR UPDATE SKIP LOCKED`), so several workers share the queue without sending one
e-mail twice at the same time. Stopping waits for the attempt in progress (at most the SMTP
timeout), then cancels it; a cancelled attempt's transaction rolls back and the e-mail stays
queued. A failing round is logged and retried with a growing backoff (servicekit's loop).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from documents.adapters.unit_of_work import SqlUnitOfWork
from documents.domain.emails import Email, RetryPolicy
from documents.service_layer.mailing import send_next_email
from documents.service_layer.ports import DocumentStorage, Mailer
from servicekit.background import BackgroundLoop

log = logging.getLogger(__name__)


class EmailSender:
    """Delivers due e-mails until stopped. `wake()` is safe to call from any request."""

    def __init__(
        self,
        *,
        storage: DocumentStorage,
        mailer: Mailer,
        sender: str,
        policy: RetryPolicy,
        poll_interval: float,
        stop_timeout: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.storage = storage
        self.mailer = mailer
        self.sender = sender
        self.policy = policy
        self.poll_interval = poll_interval
        self.clock = clock
        self._loop = BackgroundLoop(
            "documents-email-sender",
            self._round,
            interval=poll_interval,
            stop_timeout=stop_timeout,
            logger=log,
        )
        self._sessionmaker: async_sessionmaker[AsyncSession] | None = None

    @property
    def running(self) -> bool:
        return self._loop.running

    def wake(self) -> None:
        """Look for due e-mails now (called after a request queued one)."""
        self._loop.wake()

    async def start(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        await self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def send_due(self) -> list[Email]:
        """Attempt every e-mail due now, one transaction each; returns the attempted ones."""
        attempted: list[Email] = []
        while not self._loop.stopping:
            email = await self._attempt_one()
            if email is None:
                break
            attempted.append(email)
        return attempted

    async def _round(self) -> float:
        await self.send_due()
        return await self._seconds_until_next()

    async def _attempt_one(self) -> Email | None:
        assert self._sessionmaker is not None, "the sender is not started"
        async with self._sessionmaker() as session, session.begin():
            return await send_next_email(
                SqlUnitOfWork(session),
                storage=self.storage,
                mailer=self.mailer,
                sender=self.sender,
                policy=self.policy,
                clock=self.clock,
            )

    async def _seconds_until_next(self) -> float:
        assert self._sessionmaker is not None
        async with self._sessionmaker() as session:
            due = await SqlUnitOfWork(session).emails.next_due_at()
        if due is None:
            return self.poll_interval
        wait = (due - self.clock()).total_seconds()
        return min(max(wait, 0.0), self.poll_interval)
