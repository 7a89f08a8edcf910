"""The owner filters and the viewer's visibility as SQL conditions, for every owned table."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Table, false, or_

from orders.domain.ownership import Viewer, Visibility


def ownership_conditions(
    table: Table, *, owner: str | None, team: str | None, viewer: Viewer
) -> list[ColumnElement[bool]]:
    """Rows of `owner` and `team` (when given) that `viewer` may see."""
    conditions: list[ColumnElement[bool]] = []
    if owner is not None:
        conditions.append(table.c.owner == owner)
    if team is not None:
        conditions.append(table.c.team == team)
    if viewer.visibility is Visibility.ALL:
        return conditions
    seen: list[ColumnElement[bool]] = []
    if viewer.subject is not None:
        seen.append(table.c.owner == viewer.subject)
    if viewer.visibility is Visibility.TEAM and viewer.team is not None:
        seen.append(table.c.team == viewer.team)
    conditions.append(or_(*seen) if seen else false())
    return conditions
