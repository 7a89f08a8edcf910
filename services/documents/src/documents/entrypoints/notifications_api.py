"""Each user's notification settings: the address to e-mail about the milestones of the orders
they own (backordered, fully shipped, overdue, paid), the milestones they opted out of and the
language of the e-mails (English, Spanish or Russian).
Every signed-in user reads and changes their own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from documents.domain.emails import EMAIL_ADDRESS
from documents.domain.notifications import (
    Milestone,
    NotificationLanguage,
    NotificationPreferences,
)
from documents.entrypoints.common import ReadingUnitOfWork, in_transaction
from documents.service_layer.unit_of_work import UnitOfWork
from servicekit.auth import current_actor

Address = Annotated[str, Field(max_length=200, pattern=EMAIL_ADDRESS.pattern)]  # its column


class NotificationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Address | None = Field(
        default=None, description="Where to e-mail you; without an address, nothing is sent."
    )
    opted_out: Annotated[list[Milestone], Field(max_length=len(Milestone))] = Field(
        default_factory=list, description="Milestones you do not want to be e-mailed about."
    )
    language: NotificationLanguage | None = Field(
        default=None, description="The language of the e-mails (en, es, ru); English if null."
    )


class NotificationSettingsRead(BaseModel):
    email: str | None
    opted_out: list[Milestone]
    language: str | None
    milestones: list[Milestone] = Field(description="Every milestone there is to hear of.")


def _user() -> str:
    user = current_actor()
    assert user is not None, "every API route is authenticated"
    return user


def _read(preferences: NotificationPreferences) -> NotificationSettingsRead:
    return NotificationSettingsRead(
        email=preferences.email,
        opted_out=sorted(preferences.opted_out),
        language=preferences.language,
        milestones=list(Milestone),
    )


def build_notifications_router() -> APIRouter:
    router = APIRouter(prefix="/me/notifications", tags=["notifications"])

    @router.get("", response_model=NotificationSettingsRead)
    async def get_my_notifications(uow: ReadingUnitOfWork) -> NotificationSettingsRead:
        """Your notification settings (until you change them: no address, nothing sent)."""
        return _read(await uow.notification_preferences.get(_user()))

    @router.put("", response_model=NotificationSettingsRead)
    async def put_my_notifications(
        request: Request, body: NotificationSettings
    ) -> NotificationSettingsRead:
        """Replace your notification settings."""
        preferences = NotificationPreferences(
            _user(), body.email, frozenset(body.opted_out), body.language
        )

        async def save(uow: UnitOfWork) -> None:
            await uow.notification_preferences.save(preferences)

        await in_transaction(request, save)
        return _read(preferences)

    return router
