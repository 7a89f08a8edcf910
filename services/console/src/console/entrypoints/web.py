"""What every page shares: templates, the signed-in user, CSRF tokens, redirects, errors."""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from console.domain import orders as order_rules
from console.domain.user import User
from console.entrypoints.i18n import LANGUAGES, Formatting, negotiate
from console.entrypoints.service_texts import field_messages, timeline_text
from console.service_layer.ports import ServiceError, SuiteApi

PACKAGE_DIR = Path(__file__).resolve().parents[1]
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.globals.update(
    tone=order_rules.tone, label=order_rules.label, _=lambda text: text, lang="en"
)


class SignInRequired(Exception):
    """No (valid) session: the person is sent to the sign-in page, then back."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class CsrfRefused(Exception):
    """A form post without this session's CSRF token: refused, nothing is called."""


async def suite_api(request: Request) -> SuiteApi:
    api: SuiteApi = request.app.state.suite_api
    return api


def csrf_token(request: Request) -> str:
    """This session's CSRF token (created on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> None:
    """Every state-changing request carries the session's token in the form or a header."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not (isinstance(expected, str) and sent and hmac.compare_digest(expected, sent)):
        raise CsrfRefused


def local_path(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


async def current_user(request: Request) -> User:
    user = User.from_session(request.session.get("user"))
    if user is None:
        raise SignInRequired(local_path(request))
    return user


CurrentUser = Annotated[User, Depends(current_user)]
Api = Annotated[SuiteApi, Depends(suite_api)]


def safe_next(value: str | None, default: str = "/orders") -> str:
    """Only a path of this console: never an open redirect to another site."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    user = User.from_session(request.session.get("user"))
    flash = request.session.pop("flash", None)
    fmt = formatting(request)
    if isinstance(flash, list) and len(flash) == 2:  # [message, parameters] from see_other
        flash = fmt.translate(str(flash[0]), flash[1])
    context = dict(context or {})
    problem = context.get("problem")
    if isinstance(problem, ServiceError) and context.get("field_errors"):
        context["field_errors"] = field_messages(fmt, problem.errors, context["field_errors"])
    return templates.TemplateResponse(
        request,
        name,
        {
            "user": user,
            "csrf_token": csrf_token(request),
            "flash": flash,
            "lang": fmt.language,
            "languages": LANGUAGES,
            "_": fmt.gettext(),
            "label": fmt.label,
            "money": fmt.money,
            "number": fmt.number,
            "percent": fmt.percent,
            "day": fmt.day,
            "moment": fmt.moment,
            "event_text": functools.partial(timeline_text, fmt),
            **context,
        },
        status_code=status_code,
    )


def formatting(request: Request) -> Formatting:
    """The person's language: chosen in the console, else from Accept-Language."""
    return Formatting(
        negotiate(request.session.get("lang"), request.headers.get("Accept-Language"))
    )


def see_other(request: Request, url: str, flash: str | None = None, **params: Any) -> Response:
    """After a successful post: the page to show next (a full navigation under htmx too), with
    a message (`N_`-marked, `%(name)s` parameters) shown there in the person's language."""
    if flash:
        request.session["flash"] = [flash, params]
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def sign_in_redirect(request: Request, next_url: str) -> Response:
    url = f"/sign-in?next={quote(safe_next(next_url), safe='/')}"
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def error_page(request: Request, error: ServiceError) -> Response:
    """A service's refusal in words, never a stack trace."""
    if error.status == 401:  # the token expired or was revoked: sign in again
        request.session.pop("user", None)
        return sign_in_redirect(request, local_path(request))
    status = error.status if 400 <= error.status < 600 else 502
    return render(request, "error.html", {"error": error}, status_code=status)


Refused = Callable[[ServiceError], Awaitable[Response]]


async def perform(
    request: Request,
    action: Callable[[], Awaitable[Any]],
    *,
    then: str | Callable[[Any], str],
    flash: str,
    refused: Refused,
    **params: Any,
) -> Response:
    """Run a service command; on success go to `then` (a URL, or made from the answer) with a
    message, else show `refused(error)`: the page again with the service's words, next to the
    field a 422 names. An expired sign-in or a broken service gets the error page."""
    try:
        result = await action()
    except ServiceError as error:
        if error.status == 401 or error.status >= 500:
            return error_page(request, error)
        return await refused(error)
    return see_other(request, then(result) if callable(then) else then, flash, **params)


def refusal(error: ServiceError | None) -> dict[str, Any]:
    """What a page shows of a refusal: the problem above, the field messages next to fields."""
    if error is None:
        return {"problem": None, "field_errors": {}}
    return {"problem": error, "field_errors": error.field_errors()}


def status_of(error: ServiceError | None) -> int:
    return 200 if error is None else error.status


def name_lines(error: ServiceError, keys: list[str], prefix: str) -> ServiceError:
    """`lines.N.…` of a refusal names the N-th line sent: renamed `<prefix>.<key of line N>`, so
    the message stands next to that line's field of the form."""
    for problem in error.errors:
        name = str(problem.get("field", "")).removeprefix("body.").split(".")
        if len(name) > 1 and name[0] == "lines" and name[1].isdigit() and int(name[1]) < len(keys):
            problem["field"] = f"{prefix}.{keys[int(name[1])]}"
    return error
