"""Handlers annotated with their payload are checked against the type they are registered for."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent, EventType
from contracts.events import OrderCancelled, OrderCompleted
from servicekit.consumer import check_handler_payload


async def on_completed(event: CloudEvent[OrderCompleted], session: AsyncSession) -> None:
    """A handler as a service writes it: its payload typed, no isinstance checks."""


async def on_anything(event: CloudEvent[Any], session: AsyncSession) -> None:
    """A handler that takes any event (the older style)."""


async def on_either(
    event: CloudEvent[OrderCompleted] | CloudEvent[OrderCancelled], session: AsyncSession
) -> None:
    """One handler for two types."""


def test_a_handler_for_its_own_payload_or_any_is_accepted() -> None:
    check_handler_payload(EventType.ORDER_COMPLETED, on_completed)
    check_handler_payload(EventType.ORDER_CANCELLED, on_anything)
    check_handler_payload(EventType.ORDER_CANCELLED, on_either)


def test_a_handler_registered_for_another_type_is_refused() -> None:
    with pytest.raises(ValueError, match=r"takes OrderCompleted, but suite\.order\.cancelled\.v1"):
        check_handler_payload(EventType.ORDER_CANCELLED, on_completed)
