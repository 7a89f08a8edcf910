"""Who owns a customer, quote or order, and who may see it.

Every such record has an owner (a user: the token subject) and a team. What a user sees depends
on the widest visibility of their roles: `own` (records they own), `team` (theirs and their
team's) or `all`. Pure Python: the HTTP layer says who is looking, the repositories filter.
"""

from __future__ import annotations

from dataclasses import dataclass

# The visibility rule is the suite's (billing and documents apply it too): one definition.
from servicekit.visibility import ADMIN_ROLE, EVERYONE, Viewer, Visibility, visibility_of

__all__ = ["ADMIN_ROLE", "EVERYONE", "Owned", "Viewer", "Visibility", "visibility_of"]


@dataclass(frozen=True)
class Owned:
    """The owner and team of a record (either may be unknown, e.g. for older records)."""

    owner: str | None
    team: str | None
