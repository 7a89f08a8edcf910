"""Users' notification preferences on PostgreSQL (a row once a user changes the defaults)."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import insert

from documents.adapters.tables import notification_preferences
from documents.domain.notifications import Milestone, NotificationPreferences
from servicekit.unit_of_work import SqlRepository

# Built once: every order milestone reads its user's preferences.
_PREFERENCES = select(notification_preferences).where(
    notification_preferences.c.user_id == bindparam("user_id")
)


class SqlNotificationPreferences(SqlRepository):
    async def get(self, user: str) -> NotificationPreferences:
        row = (await self.session.execute(_PREFERENCES, {"user_id": user})).first()
        if row is None:
            return NotificationPreferences(user)
        opted_out = frozenset(Milestone(value) for value in row.opted_out)
        return NotificationPreferences(user, row.email, opted_out, row.language)

    async def save(self, preferences: NotificationPreferences) -> None:
        values = {
            "email": preferences.email,
            "opted_out": sorted(preferences.opted_out),
            "language": preferences.language,
            "updated_at": func.now(),
        }
        await self.session.execute(
            insert(notification_preferences)
            .values(user_id=preferences.user, **values)
            .on_conflict_do_update(index_elements=["user_id"], set_=values)
        )
