"""Bodies of the stages API: the pipeline, moving orders along it, the approval."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    Field,
)

from contracts.common import (
    LongText,
)
from orders.domain.order import STAGE_FIELDS
from orders.entrypoints.shared_schemas import (
    Name,
    RequestBody,
)
from servicekit.auth import Role

StageKey = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[a-z][a-z0-9_]*$")]


StageField = Literal[
    "contract_number",
    "payment_terms",
    "customer_reference",
    "shipping_address",
    "billing_address",
    "contact",
]


assert set(StageField.__args__) == set(STAGE_FIELDS)  # type: ignore[attr-defined]


class StageIn(RequestBody):
    key: StageKey
    name: Name
    position: Annotated[int, Field(ge=0, le=10_000)]
    required_fields: Annotated[list[StageField], Field(max_length=6)] = Field(default_factory=list)
    allowed_roles: Annotated[list[Role], Field(max_length=6)] = Field(
        default_factory=list, description="Who may move an order into it (admin always may)"
    )
    is_approval: bool = False


class StageRead(BaseModel):
    key: str
    name: str
    position: int
    required_fields: list[str]
    allowed_roles: list[str]
    is_approval: bool


class StagesPut(RequestBody):
    stages: Annotated[list[StageIn], Field(max_length=50)]


class StagesRead(BaseModel):
    stages: list[StageRead]


class StageMove(RequestBody):
    stage: StageKey
    reason: LongText | None = None


class ApprovalDecision(RequestBody):
    approved: bool
    reason: LongText | None = Field(default=None, description="Required when refusing")
