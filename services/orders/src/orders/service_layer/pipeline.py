"""Use cases of the stage pipeline: define the stages, move orders, decide approvals."""

from __future__ import annotations

from collections.abc import Iterable

from contracts import EventType
from contracts.events import OrderCancelled, OrderStageChanged
from orders.domain import pipeline
from orders.domain.model import Order
from orders.domain.pipeline import Pipeline, Stage
from orders.service_layer.services import get_order, order_event, utcnow
from orders.service_layer.unit_of_work import AbstractUnitOfWork


async def replace_stages(uow: AbstractUnitOfWork, stages: list[Stage]) -> list[Stage]:
    """Replace the whole list. Orders in a stage that disappears keep its key as a label."""
    checked = Pipeline.checked(stages)
    await uow.stages.replace(checked.stages)
    return checked.stages


async def current_pipeline(uow: AbstractUnitOfWork) -> Pipeline:
    return Pipeline(await uow.stages.all())


def _label(stages: Pipeline, key: str | None) -> str:
    if key is None:
        return "(none)"
    stage = stages.get(key)
    return stage.name if stage else key


async def _stage_changed(
    uow: AbstractUnitOfWork,
    order: Order,
    stages: Pipeline,
    previous: str | None,
    reason: str | None,
    summary: str,
    correlation_id: str | None,
) -> None:
    assert order.stage is not None
    await uow.publish(
        order_event(
            EventType.ORDER_STAGE_CHANGED,
            OrderStageChanged(
                order_id=order.id,
                number=order.number,
                from_stage=previous,
                to_stage=order.stage,
                reason=reason,
            ),
            order,
            correlation_id=correlation_id,
            cause=None,
        ),
        order_id=order.id,
        summary=summary + (f": {reason}" if reason else ""),
    )


async def move_order(
    uow: AbstractUnitOfWork,
    order_id: str,
    stage: str,
    reason: str | None,
    roles: Iterable[str],
    *,
    correlation_id: str | None = None,
) -> Order:
    """Move an open order into a stage; emits order.stage_changed."""
    order = await get_order(uow, order_id, for_update=True)
    stages = await current_pipeline(uow)
    previous = pipeline.move_to_stage(order, stages, stage, roles)
    order.updated_at = utcnow()
    await uow.orders.save(order)
    summary = f"Stage {_label(stages, previous)} → {_label(stages, stage)}"
    await _stage_changed(uow, order, stages, previous, reason, summary, correlation_id)
    return order


async def decide_approval(
    uow: AbstractUnitOfWork,
    order_id: str,
    *,
    approved: bool,
    reason: str | None,
    roles: Iterable[str],
    actor: str | None,
    correlation_id: str | None = None,
) -> Order:
    """Approve (the order enters the approval stage: order.stage_changed) or refuse (it is
    cancelled with the reason: order.cancelled, and inventory releases its stock)."""
    order = await get_order(uow, order_id, for_update=True)
    stages = await current_pipeline(uow)
    now = utcnow()
    previous = pipeline.decide_approval(
        order, stages, roles, approved=approved, reason=reason, actor=actor, now=now
    )
    order.updated_at = now
    await uow.orders.save(order)
    if approved:
        summary = f"Approved: stage {_label(stages, previous)} → {_label(stages, order.stage)}"
        await _stage_changed(uow, order, stages, previous, reason, summary, correlation_id)
        return order
    await uow.publish(
        order_event(
            EventType.ORDER_CANCELLED,
            OrderCancelled(
                order_id=order.id,
                number=order.number,
                reason=order.cancellation_reason,
                previous_status="open",
            ),
            order,
            correlation_id=correlation_id,
            cause=None,
        ),
        order_id=order.id,
        summary=f"Order cancelled (was open): {order.cancellation_reason}",
    )
    return order
