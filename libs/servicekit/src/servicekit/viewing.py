"""The caller as a viewer of owned records (`servicekit.visibility`), for a route to depend on:
`viewer: CallerViewer`. Visibility per role comes from the service's `visibility` setting
(`<SERVICE>_VISIBILITY`; a service without one: everyone sees all)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from servicekit.auth import Principal, authenticate
from servicekit.runtime import runtime_of
from servicekit.visibility import Viewer, viewer_of


async def caller_viewer(
    request: Request, principal: Annotated[Principal, Depends(authenticate)]
) -> Viewer:
    per_role = getattr(runtime_of(request).spec.settings, "visibility", None) or {}
    return viewer_of(principal, per_role)


CallerViewer = Annotated[Viewer, Depends(caller_viewer)]
