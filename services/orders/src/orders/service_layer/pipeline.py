"""Use cases of the stage pipeline: define the stages, move orders, decide approvals."""

from __future__ import annotations

from collections.abc import Iterable

from contracts import EventType
from contracts.events import OrderStageChanged
from orders.domain import pipeline
from orders.domain.order import Order
from orders.domain.pipeline import Pipeline, Stage
from orders.service_layer.events import record_order_event, utcnow
from orders.service_layer.orders import get_order, record_cancelled
from orders.service_layer.unit_of_work import UnitOfWork


async def replace_stages(uow: UnitOfWork, stages: list[Stage]) -> list[Stage]:
    """Replace the whole list. Orders in a stage that disappears keep its key as a label."""
    checked = Pipeline.checked(stages)
    await uow.stages.replace(checked.stages)
    return checked.stages


async def current_pipeline(uow: UnitOfWork) -> Pipeline:
    return Pipeline(await uow.stages.all())


def _label(stages: Pipeline, key: str | None) -> str:
    if key is None:
        return "(none)"
    stage = stages.get(key)
    return stage.name if stage else key


async def _stage_changed(
    uow: UnitOfWork,
    order: Order,
    previous: str | None,
    reason: str | None,
    summary: str,
    correlation_id: str | None,
) -> None:
    assert order.stage is not None
    await record_order_event(
        uow,
        order,
        EventType.ORDER_STAGE_CHANGED,
        OrderStageChanged(
            order_id=order.id,
            number=order.number,
            from_stage=previous,
            to_stage=order.stage,
            reason=reason,
        ),
        summary=summary + (f": {reason}" if reason else ""),
        correlation_id=correlation_id,
    )


async def move_order(
    uow: UnitOfWork,
    order_id: str,
    stage: str,
    reason: str | None,
    roles: Iterable[str],
    *,
    correlation_id: str | None = None,
) -> Order:
    """Move an open order into a stage; records order.stage_changed."""
    order = await get_order(uow, order_id, for_update=True)
    stages = await current_pipeline(uow)
    previous = pipeline.move_to_stage(order, stages, stage, roles)
    order.updated_at = utcnow()
    await uow.orders.save(order)
    summary = f"Stage {_label(stages, previous)} → {_label(stages, stage)}"
    await _stage_changed(uow, order, previous, reason, summary, correlation_id)
    return order


async def decide_approval(
    uow: UnitOfWork,
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
        await _stage_changed(uow, order, previous, reason, summary, correlation_id)
        return order
    await record_cancelled(uow, order, "open", correlation_id=correlation_id)
    return order
