"""Run a use case in one transaction, rerun when PostgreSQL rolls it back as retryable."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from inventory.service_layer.locking import LockSetKeptChanging
from servicekit.unit_of_work import run_at_commit

log = logging.getLogger(__name__)

T = TypeVar("T")

# deadlock_detected, serialization_failure: the transaction was rolled back and may simply rerun.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, LockSetKeptChanging):
        return True
    return (
        isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES
    )


async def in_transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
    work: Callable[[AsyncSession], Awaitable[T]],
    *,
    attempts: int = 3,
) -> T:
    """`work(session)` inside `session.begin()`, then the work it deferred to the commit
    (`run_at_commit`); commits on success, reruns on a deadlock."""
    for attempt in range(1, attempts + 1):
        try:
            async with sessionmaker() as session, session.begin():
                result = await work(session)
                await run_at_commit(session)
                return result
        except (DBAPIError, LockSetKeptChanging) as exc:
            if not is_retryable(exc) or attempt == attempts:
                raise
            log.warning("transaction rolled back (%s), rerunning it", exc)
            await asyncio.sleep(0.05 * attempt)
    raise AssertionError("unreachable")
