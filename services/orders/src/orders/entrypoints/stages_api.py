"""Stages over HTTP: the administrators' list, moving orders along it, and the approval."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from orders.domain.pipeline import Stage
from orders.entrypoints import mapping, orders_schemas, stages_schemas
from orders.entrypoints.common import ADMIN, PROBLEMS, problems, run_use_case, unit_of_work
from orders.service_layer import pipeline
from servicekit.auth import Principal, authenticate
from servicekit.observability import current_correlation_id

router = APIRouter(tags=["stages"])

Caller = Annotated[Principal, Depends(authenticate)]


def _stages_read(stages: list[Stage]) -> stages_schemas.StagesRead:
    return stages_schemas.StagesRead(
        stages=[stages_schemas.StageRead(**asdict(stage)) for stage in stages]
    )


@router.get("/stages", response_model=stages_schemas.StagesRead)
async def get_stages(request: Request) -> stages_schemas.StagesRead:
    """The stages of open orders, by position."""
    async with unit_of_work(request) as uow:
        return _stages_read(await uow.stages.all())


@router.put(
    "/stages", dependencies=ADMIN, response_model=stages_schemas.StagesRead, responses=PROBLEMS
)
async def put_stages(body: stages_schemas.StagesPut, request: Request) -> stages_schemas.StagesRead:
    """Replace the whole list (administrators). Keys and positions are unique; at most one
    stage is the approval stage."""
    stages = [
        Stage(
            key=stage.key,
            name=stage.name,
            position=stage.position,
            required_fields=tuple(dict.fromkeys(stage.required_fields)),
            allowed_roles=tuple(dict.fromkeys(role.value for role in stage.allowed_roles)),
            is_approval=stage.is_approval,
        )
        for stage in body.stages
    ]
    with problems(field_prefix="body.stages."):
        async with unit_of_work(request) as uow:
            return _stages_read(await pipeline.replace_stages(uow, stages))


@router.post(
    "/orders/{order_id}/stage", response_model=orders_schemas.OrderRead, responses=PROBLEMS
)
async def move_order(
    order_id: str, body: stages_schemas.StageMove, request: Request, caller: Caller
) -> orders_schemas.OrderRead:
    """Move an open order into a stage: 403 unless the caller's role is allowed there, 422
    naming every required field still empty, 409 for an unknown stage or an order not open.
    Emits order.stage_changed."""
    return await run_use_case(
        request,
        mapping.read_order,
        pipeline.move_order,
        order_id,
        body.stage,
        body.reason,
        caller.roles,
        correlation_id=current_correlation_id(),
    )


@router.post(
    "/orders/{order_id}/approval", response_model=orders_schemas.OrderRead, responses=PROBLEMS
)
async def decide_approval(
    order_id: str, body: stages_schemas.ApprovalDecision, request: Request, caller: Caller
) -> orders_schemas.OrderRead:
    """Approve an open order (it enters the approval stage; order.stage_changed) or refuse it
    with a reason (it is cancelled; order.cancelled). Roles: those of the approval stage."""
    return await run_use_case(
        request,
        mapping.read_order,
        pipeline.decide_approval,
        order_id,
        approved=body.approved,
        reason=body.reason,
        roles=caller.roles,
        actor=caller.subject,
        correlation_id=current_correlation_id(),
    )
