"""The console's ASGI app: session and security headers, the pages, static files, health."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from console.config import ConsoleSettings
from console.entrypoints import (
    accounts_views,
    billing_views,
    credit_notes_views,
    customers_views,
    documents_views,
    invoicing_views,
    operations_views,
    order_notes_views,
    orders_views,
    price_lists_views,
    products_views,
    purchasing_views,
    quotes_views,
    reports_views,
    revisions_views,
    signin_views,
    warehouses_views,
    webhooks_views,
)
from console.entrypoints.i18n import N_
from console.entrypoints.web import (
    STATIC_DIR,
    CsrfRefused,
    SignInRequired,
    render,
    sign_in_redirect,
)
from console.service_layer.ports import ServiceError, SuiteApi

SESSION_COOKIE = "console_session"

# Scripts, styles and frames from this origin only: no inline script or style, no eval.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def create_app(settings: ConsoleSettings, api: SuiteApi | None = None) -> FastAPI:
    """The app; `api` replaces the HTTP clients of the four services (tests pass a fake)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if api is not None:
            app.state.suite_api = api
            yield
            return
        from console.adapters.suite_http import HttpSuiteApi

        http_api = HttpSuiteApi(settings)
        app.state.suite_api = http_api
        try:
            yield
        finally:
            await http_api.aclose()

    app = FastAPI(
        title="Console",
        description="The back-office web console of the sales order suite",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.oauth = signin_views.build_oauth(settings)
    if api is not None:
        app.state.suite_api = api

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.cookie_signing_key(),
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_seconds,
        same_site="lax",  # the identity provider's redirect back must carry it
        https_only=settings.cookie_secure,
    )

    @app.exception_handler(SignInRequired)
    async def on_sign_in_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        return sign_in_redirect(request, exc.next_url)

    @app.exception_handler(CsrfRefused)
    async def on_csrf_refused(request: Request, exc: Exception) -> Response:
        error = ServiceError(
            403,
            N_("Refused"),
            N_(
                "This form did not come from this console's page (or the page is too old). "
                "Reload the page and try again."
            ),
        )
        return render(request, "error.html", {"error": error}, status_code=403)

    @app.get("/health/live", include_in_schema=False)
    async def live() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/health/ready", include_in_schema=False)
    async def ready() -> JSONResponse:
        # No database of its own: ready once it serves. A service that is down shows as a
        # message on the pages that need it, not as the console being unready.
        return JSONResponse({"status": "ok"})

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return Response(status_code=204)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (
        signin_views,
        order_notes_views,  # before orders_views: its /orders/{id}/{action} takes any segment
        revisions_views,
        invoicing_views,
        orders_views,
        customers_views,
        accounts_views,
        price_lists_views,
        webhooks_views,
        operations_views,
        quotes_views,
        products_views,
        warehouses_views,
        purchasing_views,
        billing_views,
        credit_notes_views,
        reports_views,
        documents_views,
    ):
        app.include_router(module.router)
    return app
