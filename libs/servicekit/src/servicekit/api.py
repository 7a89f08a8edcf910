"""What every service's routers share: list and idempotency parameters, request bodies that
PostgreSQL can store, the OpenAPI problem table, and domain errors turned into problems.

    from servicekit.api import Cursor, IdempotencyKey, Limit, RequestBody, problem_responses

    router = APIRouter(responses=problem_responses(404, 409, 422))

    @router.get("/things")
    async def list_things(limit: Limit = 50, cursor: Cursor = None) -> ThingPage: ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Header, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator

from servicekit.http import PROBLEM_JSON, Problem

# --- list and idempotency parameters -----------------------------------------------------------

Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
"""`limit: Limit = 50`: how many items a page holds (1 to 200)."""

# The longest cursor any service issues is far below this; a longer one cannot be ours.
Cursor = Annotated[str | None, Query(max_length=1000, description="`next_cursor` of a page")]
"""`cursor: Cursor = None`: the opaque position a page resumes after (see `pagination`)."""

# No length limit here: `servicekit.http.idempotent` checks it and names the header in the
# problem's `errors` (`header.Idempotency-Key`), the same for every service.
IdempotencyKey = Annotated[
    str | None,
    Header(
        description="Retrying with the same key returns the first response, once created. "
        "Keys are per caller and route, and expire (24 hours unless configured otherwise)"
    ),
]
"""`idempotency_key: IdempotencyKey = None`: pass it on to `servicekit.http.idempotent`."""


# --- text PostgreSQL can store -----------------------------------------------------------------

NO_NUL = r"^[^\x00]*$"
"""A `pattern=` for query and path parameters: PostgreSQL text cannot hold NUL characters."""


def storable(value: Any) -> Any:
    """Refuse text PostgreSQL cannot store: NUL characters and unpaired surrogates.

    Looks into lists, tuples and dicts (keys too), so JSON-ish fields are covered as well.
    Raises ValueError, which pydantic reports as a 422 naming the field.
    """
    if isinstance(value, str):
        if "\x00" in value or not _encodable(value):
            raise ValueError("must not contain NUL characters or unpaired surrogates")
    elif isinstance(value, (list, tuple)):  # a tuple of types: faster than a union, per call
        for item in value:
            storable(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            storable(key)
            storable(item)
    return value


def _encodable(text: str) -> bool:
    """No surrogate code point (U+D800 to U+DFFF) in `text`: exactly what UTF-8 refuses.

    Both tests run in C: a loop over the characters in Python cost ~7 µs per 100 of them, and
    every text field of every body and read model passes here.
    """
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


Storable = AfterValidator(storable)
"""`Annotated[str | None, Query(max_length=200), Storable]` for a parameter outside a body."""


class RequestBody(BaseModel):
    """Base of request bodies: unknown fields are refused, no text may be unstorable.

    A service that also wants whitespace stripped adds
    `model_config = ConfigDict(str_strip_whitespace=True)` to its own subclass (pydantic merges it).
    """

    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return storable(value)


# --- problems ----------------------------------------------------------------------------------

PROBLEM_DESCRIPTIONS: dict[int, str] = {
    400: "Bad request",
    403: "The caller's role may not do this",
    404: "No such resource",
    409: "Not allowed in the current state; nothing changed",
    412: "The resource changed since it was read (`If-Match` is stale)",
    422: "Invalid input; `errors` names the fields",
    500: "The service failed; the error has been logged",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses=` of routes that answer these statuses with problem+json.

    Descriptions come from `PROBLEM_DESCRIPTIONS`; use `described_problems` for your own texts.
    """
    return described_problems({status: PROBLEM_DESCRIPTIONS[status] for status in statuses})


def described_problems(descriptions: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """Like `problem_responses`, with a description of your own for each status."""
    return {
        status: {"description": text, "content": {PROBLEM_JSON: {}}}
        for status, text in descriptions.items()
    }


ProblemFactory = type[Problem] | Callable[[Any], Problem]
"""A Problem class (called with the error's text) or a function from the error to a Problem."""

ErrorTable = Mapping[type[Exception], ProblemFactory]
"""Which problem answers which domain error; annotate a module-level table with it."""


@contextmanager
def problems_from(table: ErrorTable) -> Iterator[None]:
    """Raise the problem `table` gives for an error escaping the block; others pass unchanged.

    The first entry the error is an instance of wins, so list subclasses before their bases:

        with problems_from({UnknownProduct: NotFound, DomainError: Conflict}):
            ...
    """
    try:
        yield
    except Exception as exc:
        for error_type, factory in table.items():
            if isinstance(exc, error_type):
                problem = factory(str(exc)) if isinstance(factory, type) else factory(exc)
                raise problem from exc
        raise
