"""Who may see a record owned by a person and a team (ADR 18), for every service that keeps
owned records or a view of them.

Every owned record has an owner (a user: the token subject) and a team. What a user sees depends
on the widest visibility of their roles: `own` (records they own), `team` (theirs and their
team's) or `all`; a role not configured, and admin, sees all. Pure Python: the HTTP layer says
who is looking (`viewer_of`), the repositories filter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


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
class Viewer:
    """Who is looking: their subject, their team and how far they see."""

    subject: str | None
    team: str | None
    visibility: Visibility

    @property
    def sees_all(self) -> bool:
        return self.visibility is Visibility.ALL

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


class Caller(Protocol):
    @property
    def subject(self) -> str | None: ...

    @property
    def team(self) -> str | None: ...

    @property
    def roles(self) -> frozenset[str]: ...


def viewer_of(caller: Caller, per_role: Mapping[str, Visibility]) -> Viewer:
    """The viewer a caller (an authenticated principal) is, under the per-role setting."""
    visibility = visibility_of(caller.roles, per_role)
    return Viewer(subject=caller.subject, team=caller.team, visibility=visibility)
