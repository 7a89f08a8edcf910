"""The administrator-defined stages of open orders, moves between them and the approval.

A stage may require fields before an order enters it and names the roles that may move an
order into it (admin always may). At most one stage is the approval stage: an order enters it
only by being approved (by a role allowed there), and a stage placed after it can only be
entered by an approved order. Refusing the approval cancels the order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from orders.domain.errors import IllegalTransition, InvalidOrder, MissingFields, NotAllowed
from orders.domain.order import STAGE_FIELDS, Approval, Order, OrderStatus

ADMIN = "admin"
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    position: int
    required_fields: tuple[str, ...] = ()
    allowed_roles: tuple[str, ...] = ()
    is_approval: bool = False

    def admits(self, roles: Iterable[str]) -> bool:
        """Whether someone with these roles may move an order into this stage."""
        given = set(roles)
        return ADMIN in given or bool(given & set(self.allowed_roles))


class Pipeline:
    """The ordered list of stages (by position)."""

    def __init__(self, stages: Iterable[Stage]) -> None:
        self.stages = sorted(stages, key=lambda s: s.position)

    @classmethod
    def checked(cls, stages: Sequence[Stage]) -> Pipeline:
        """A pipeline from an administrator's list, refusing what would make it ambiguous."""
        keys: set[str] = set()
        positions: set[int] = set()
        approval: str | None = None
        for index, stage in enumerate(stages):
            where = f"{index}"
            if not KEY_PATTERN.match(stage.key):
                raise InvalidOrder(f"{where}.key", "lower-case letters, digits and _ (1 to 50)")
            if stage.key in keys:
                raise InvalidOrder(f"{where}.key", f"the key {stage.key!r} is used twice")
            if stage.position in positions:
                raise InvalidOrder(f"{where}.position", f"position {stage.position} is used twice")
            unknown = set(stage.required_fields) - set(STAGE_FIELDS)
            if unknown:
                raise InvalidOrder(
                    f"{where}.required_fields", f"unknown field {sorted(unknown)[0]!r}"
                )
            if stage.is_approval and approval is not None:
                raise InvalidOrder(
                    f"{where}.is_approval", f"{approval!r} is already the approval stage"
                )
            if stage.is_approval:
                approval = stage.key
            keys.add(stage.key)
            positions.add(stage.position)
        return cls(stages)

    def get(self, key: str) -> Stage | None:
        return next((s for s in self.stages if s.key == key), None)

    @property
    def approval_stage(self) -> Stage | None:
        return next((s for s in self.stages if s.is_approval), None)


def _ensure_open(order: Order, action: str) -> None:
    if order.status is not OrderStatus.OPEN:
        raise IllegalTransition(
            action, order.status, f"the order is {order.status.value}; stages are for open orders"
        )


def move_to_stage(order: Order, pipeline: Pipeline, key: str, roles: Iterable[str]) -> str | None:
    """Move an open order into the stage `key`; returns the stage it was in.

    Checks, in order: the stage exists and is not the approval stage (409), the roles may move
    orders into it (NotAllowed), the order is open and not in it already (409), an order not
    yet approved does not skip the approval stage (409), and every required field is filled
    (MissingFields, naming them all). Nothing changes unless every check passes.
    """
    stage = pipeline.get(key)
    if stage is None:
        raise IllegalTransition("move", order.status, f"there is no stage {key!r}")
    if stage.is_approval:
        raise IllegalTransition(
            "move",
            order.status,
            f"{key!r} is the approval stage: an order enters it by being approved",
        )
    if not stage.admits(roles):
        raise NotAllowed(f"moving an order into {key!r} needs one of: {_roles(stage)}")
    _ensure_open(order, "move")
    if order.stage == key:
        raise IllegalTransition("move", order.status, f"the order is already in {key!r}")
    gate = pipeline.approval_stage
    if (
        gate is not None
        and stage.position > gate.position
        and not (order.approval and order.approval.approved)
    ):
        raise IllegalTransition(
            "move", order.status, f"the order must be approved ({gate.key!r}) before {key!r}"
        )
    missing = order.missing(stage.required_fields)
    if missing:
        raise MissingFields(f"move the order to {key!r}", missing)
    previous = order.stage
    order.stage = key
    return previous


def decide_approval(
    order: Order,
    pipeline: Pipeline,
    roles: Iterable[str],
    *,
    approved: bool,
    reason: str | None,
    actor: str | None,
    now: datetime,
) -> str | None:
    """Approve (the order enters the approval stage) or refuse (it is cancelled).

    Returns the stage the order was in. A refusal needs a reason; an approval needs the
    approval stage's required fields.
    """
    gate = pipeline.approval_stage
    if gate is None:
        raise IllegalTransition("approve", order.status, "no approval stage is defined")
    if not gate.admits(roles):
        raise NotAllowed(f"deciding the approval needs one of: {_roles(gate)}")
    _ensure_open(order, "approve" if approved else "refuse")
    if order.approval is not None and order.approval.approved:
        raise IllegalTransition("approve", order.status, "the order is already approved")
    previous = order.stage
    if approved:
        missing = order.missing(gate.required_fields)
        if missing:
            raise MissingFields("approve the order", missing)
        order.stage = gate.key
    else:
        if not reason:
            raise InvalidOrder("reason", "a refusal needs a reason")
        order.cancel(f"Approval refused: {reason}")
    order.approval = Approval(approved=approved, reason=reason, actor=actor, decided_at=now)
    return previous


def _roles(stage: Stage) -> str:
    return ", ".join(sorted({ADMIN, *stage.allowed_roles}))
