"""Events leave the service through the outbox, in the transaction of the change they report."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from inventory.adapters.tables import metadata
from servicekit.outbox import add_to_outbox

SOURCE = "/inventory"


async def emit(session: AsyncSession, event: CloudEvent[Any], *, key: str | None = None) -> None:
    """Queue `event` for publication; it goes out only if the caller's transaction commits."""
    await add_to_outbox(session, metadata.tables["outbox"], event, key=key)
