"""Quotes: the list, by status and text, with paging (read only here)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from console.entrypoints.web import Api, CurrentUser, check_csrf, error_page, render
from console.service_layer.ports import ServiceError

router = APIRouter(dependencies=[Depends(check_csrf)])

PAGE_SIZE = 25
QUOTE_STATUSES = ("draft", "sent", "accepted", "rejected", "expired")


@router.get("/quotes")
async def quotes_list(
    request: Request,
    user: CurrentUser,
    api: Api,
    status: str = "",
    q: str = "",
    cursor: str | None = None,
) -> Response:
    params = {"status": status or None, "q": q, "cursor": cursor, "limit": PAGE_SIZE}
    problem: ServiceError | None = None
    try:
        page = await api.list_quotes(user.token, params)
    except ServiceError as error:
        if error.status != 422:
            return error_page(request, error)
        page, problem = {"items": [], "next_cursor": None}, error
    return render(
        request,
        "quotes/list.html",
        {"page": page, "status": status, "q": q, "statuses": QUOTE_STATUSES, "problem": problem},
    )
