"""The part every service's unit of work shares: recording events in the outbox.

A service's service layer declares its unit-of-work Protocol by extending `RecordsEvents`;
its `adapters/unit_of_work.py` builds `SqlUnitOfWork` on `SqlUnitOfWorkBase` and adds the
repositories (each a `SqlRepository` on the same session). The transaction belongs to the
caller (a consumer or an HTTP dependency): the unit of work only writes into the session it was
given.

A service whose metadata declares the event sequence counters (`servicekit.sequencing`) has
every event it records numbered per subject: the CloudEvents `sequence` attribute.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import MetaData, Table
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from servicekit.outbox import add_to_outbox
from servicekit.sequencing import EVENT_SEQUENCES, next_event_sequence


class RecordsEvents(Protocol):
    """A unit of work that records events for publication with the state it changes."""

    async def record(self, event: CloudEvent[Any], *, key: str | None = None) -> None:
        """Record `event`; it is published only if the caller's transaction commits."""
        ...


class SqlRepository:
    """A SQL repository: it reads and writes in the caller's session (the unit of work's), so
    its rows commit or roll back with everything else of the use case."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session


class SqlUnitOfWorkBase:
    """The caller's session and the service's outbox; subclasses add their repositories."""

    def __init__(self, session: AsyncSession, outbox: Table | MetaData) -> None:
        self.session = session
        # Either the outbox table itself or the service's MetaData that declares it.
        self.outbox = outbox.tables["outbox"] if isinstance(outbox, MetaData) else outbox
        # The per-subject counters, if the service's metadata declares them (it opts in).
        self.sequences: Table | None = self.outbox.metadata.tables.get(EVENT_SEQUENCES)

    async def sequenced(self, event: CloudEvent[Any], *, key: str | None = None) -> CloudEvent[Any]:
        """`event` numbered with the next sequence of its key (default: its subject).

        Unchanged if it already carries one, or if the service keeps no counters. The counter
        row stays locked until the transaction ends, so the numbers follow the commits.
        """
        message_key = key or event.subject
        if self.sequences is None or event.sequence is not None or not message_key:
            return event
        sequence = await next_event_sequence(self.session, self.sequences, message_key)
        return event.model_copy(update={"sequence": sequence})

    async def record(self, event: CloudEvent[Any], *, key: str | None = None) -> None:
        """Write `event` to the outbox in the caller's transaction, numbered (`sequenced`).

        The key defaults to the event's subject (the order id for anything about an order),
        so one aggregate's events keep their order in one partition.
        """
        event = await self.sequenced(event, key=key)
        await add_to_outbox(self.session, self.outbox, event, key=key)
