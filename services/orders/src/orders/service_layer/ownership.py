"""Who is looking at customers, quotes and orders, and who owns what is created.

The HTTP layer says who is looking (`looking_as`) for the request it serves; the use cases that
find one record treat a record the viewer may not see as unknown (404, not 403: its existence is
not revealed), and the lists filter by the viewer. Consumers and commands have no viewer: they
see everything (`EVERYONE`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol, TypeVar

from orders.domain.ownership import EVERYONE, Viewer
from servicekit.auth import current_actor

_viewer: ContextVar[Viewer] = ContextVar("viewer", default=EVERYONE)


def current_viewer() -> Viewer:
    return _viewer.get()


def look_as(viewer: Viewer) -> None:
    """Set the viewer of the request being served (an async dependency of every route)."""
    _viewer.set(viewer)


@contextmanager
def looking_as(viewer: Viewer) -> Iterator[None]:
    token = _viewer.set(viewer)
    try:
        yield
    finally:
        _viewer.reset(token)


class OwnedRecord(Protocol):
    id: str
    owner: str | None
    team: str | None


Record = TypeVar("Record", bound=OwnedRecord)


def visible(record: Record | None) -> Record | None:
    """The record if the current viewer may see it, else None (as if it did not exist)."""
    if record is None or not current_viewer().sees(record.owner, record.team):
        return None
    return record


def default_owner() -> tuple[str | None, str | None]:
    """The owner and team of a record created now: the person creating it, if any."""
    viewer = current_viewer()
    subject = viewer.subject or current_actor()
    return subject, viewer.team if subject is not None and subject == viewer.subject else None
