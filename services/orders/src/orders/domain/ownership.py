"""Who owns a customer, quote or order, and who may see it.

Every such record has an owner (a user: the token subject) and a team. What a user sees depends
on the widest visibility of their roles: `own` (records they own), `team` (theirs and their
team's) or `all`. Pure Python: the HTTP layer says who is looking, the repositories filter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Visibility(StrEnum):
    OWN = "own"
    TEAM = "team"
    ALL = "all"


_WIDTH = {Visibility.OWN: 0, Visibility.TEAM: 1, Visibility.ALL: 2}

ADMIN_ROLE = "admin"


def visibility_of(roles: Iterable[str], per_role: Mapping[str, Visibility]) -> Visibility:
    """The widest visibility of the roles; a role not configured sees all, and so does admin."""
    found = [
        Visibility.ALL if role == ADMIN_ROLE else per_role.get(role, Visibility.ALL)
        for role in roles
    ]
    return max(found, key=_WIDTH.__getitem__, default=Visibility.OWN)


@dataclass(frozen=True)
class Owned:
    """The owner and team of a record (either may be unknown, e.g. for older records)."""

    owner: str | None
    team: str | None


@dataclass(frozen=True)
class Viewer:
    """Who is looking: their subject, their team and how far they see."""

    subject: str | None
    team: str | None
    visibility: Visibility

    def sees(self, owner: str | None, team: str | None) -> bool:
        if self.visibility is Visibility.ALL:
            return True
        if owner is not None and owner == self.subject:
            return True
        return self.visibility is Visibility.TEAM and team is not None and team == self.team

    def resolve_owner(self, owner: str | None) -> str | None:
        """`me` as an owner filter means the viewer."""
        return self.subject if owner == "me" else owner


# Consumers, commands and other callers without a person behind them see everything.
EVERYONE = Viewer(subject=None, team=None, visibility=Visibility.ALL)
