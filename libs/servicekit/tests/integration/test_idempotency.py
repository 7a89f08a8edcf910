"""Idempotency-Key on a real PostgreSQL server: per caller and route, fingerprinted, expiring."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, Field
from sqlalchemy import Column, MetaData, String, Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from servicekit.auth import acting_as
from servicekit.db import make_engine, make_sessionmaker, new_metadata
from servicekit.http import (
    IDEMPOTENCY_TTL_INFO,
    DumpedJson,
    InvalidInput,
    idempotent,
    json_answer,
)
from servicekit.testing import TemporaryDatabases


@dataclass
class Notes:
    metadata: MetaData
    notes: Table
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    async def create(
        self, text: str, *, subject: str | None, key: str | None, scope: str = "notes"
    ) -> tuple[int, Any]:
        """What a creating endpoint does: make a note once per key, in one transaction."""

        async with self.sessionmaker() as session, session.begin():

            async def create() -> tuple[int, Any]:
                note_id = str(uuid.uuid4())
                await session.execute(self.notes.insert().values(id=note_id, text=text))
                return 201, {"id": note_id, "text": text}

            with acting_as(subject):
                return await idempotent(
                    session,
                    self.metadata,
                    scope=scope,
                    key=key,
                    body={"text": text},
                    create=create,
                )

    async def count(self) -> int:
        async with self.sessionmaker() as session:
            found = await session.execute(select(func.count()).select_from(self.notes))
            return int(found.scalar_one())

    async def age_keys(self, by: timedelta) -> None:
        keys = self.metadata.tables["idempotency_keys"]
        async with self.sessionmaker() as session, session.begin():
            await session.execute(update(keys).values(created_at=keys.c.created_at - by))


@pytest.fixture
async def notes(databases: TemporaryDatabases) -> AsyncIterator[Notes]:
    metadata = new_metadata()
    table = Table(
        "notes", metadata, Column("id", String(36), primary_key=True), Column("text", String(200))
    )
    engine = make_engine(await databases.create("idempotency"))
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield Notes(metadata, table, engine, make_sessionmaker(engine))
    await engine.dispose()


async def test_a_retry_by_the_same_caller_gets_the_first_response(notes: Notes) -> None:
    first = await notes.create("hello", subject="alice", key="k-1")
    assert await notes.create("hello", subject="alice", key="k-1") == first
    assert first[0] == 201
    assert await notes.count() == 1


async def test_the_same_key_from_two_subjects_creates_twice(notes: Notes) -> None:
    alice = await notes.create("hello", subject="alice", key="shared-key")
    bob = await notes.create("hello", subject="bob", key="shared-key")
    assert alice[1]["id"] != bob[1]["id"]
    assert await notes.count() == 2
    # and each still gets its own response back on a retry
    assert await notes.create("hello", subject="bob", key="shared-key") == bob
    assert await notes.create("hello", subject="alice", key="shared-key") == alice


async def test_the_same_key_on_two_routes_creates_twice(notes: Notes) -> None:
    await notes.create("hello", subject="alice", key="k-1", scope="notes")
    await notes.create("hello", subject="alice", key="k-1", scope="drafts")
    assert await notes.count() == 2


async def test_a_long_subject_and_scope_still_fit_the_column(notes: Notes) -> None:
    subject = "x" * 1000
    first = await notes.create("hello", subject=subject, key="k", scope="s" * 180)
    assert await notes.create("hello", subject=subject, key="k", scope="s" * 180) == first
    assert await notes.count() == 1


async def test_the_same_key_with_another_body_is_refused(notes: Notes) -> None:
    await notes.create("hello", subject="alice", key="k-1")
    with pytest.raises(InvalidInput) as refused:
        await notes.create("something else", subject="alice", key="k-1")
    assert refused.value.status == 422
    assert refused.value.errors == [
        {
            "field": "header.Idempotency-Key",
            "message": "this key was already used with a different request",
        }
    ]
    assert await notes.count() == 1


async def test_an_expired_key_counts_as_new(notes: Notes) -> None:
    first = await notes.create("hello", subject="alice", key="k-1")
    await notes.age_keys(timedelta(hours=23))
    assert await notes.create("hello", subject="alice", key="k-1") == first  # still remembered
    await notes.age_keys(timedelta(hours=2))  # now 25 hours old: past the default 24 hours
    again = await notes.create("hello", subject="alice", key="k-1")
    assert again[1]["id"] != first[1]["id"]
    assert await notes.count() == 2
    # the new record replaced the old one: a retry now gets the new response
    assert await notes.create("hello", subject="alice", key="k-1") == again
    # an expired key may even come back with another body
    await notes.age_keys(timedelta(days=2))
    other = await notes.create("other text", subject="alice", key="k-1")
    assert other[1]["text"] == "other text"


async def test_the_service_configures_how_long_keys_live(notes: Notes) -> None:
    notes.sessionmaker.configure(info={IDEMPOTENCY_TTL_INFO: timedelta(hours=1)})
    first = await notes.create("hello", subject="alice", key="k-1")
    await notes.age_keys(timedelta(minutes=59))
    assert await notes.create("hello", subject="alice", key="k-1") == first
    await notes.age_keys(timedelta(minutes=2))
    assert await notes.create("hello", subject="alice", key="k-1") != first
    assert await notes.count() == 2


class NoteRead(BaseModel):
    id: str
    text: str
    created_on: date
    weight: Decimal = Field(serialization_alias="weightKg")


@pytest.mark.parametrize(
    ("response", "stored"),
    [
        # A model is stored as it dumps itself to JSON, with its aliases.
        (
            NoteRead(id="n-1", text="Zoë", created_on=date(2026, 12, 1), weight=Decimal("1.50")),
            {"id": "n-1", "text": "Zoë", "created_on": "2026-12-01", "weightKg": "1.50"},
        ),
        # JSON-ready content is stored as it is.
        ({"id": "n-1", "tags": ["a", "東京"], "total": 2.5}, None),
        # Other content goes through jsonable_encoder first.
        (
            {"id": "n-1", "on": date(2026, 12, 1), "amount": Decimal("2.50")},
            {"id": "n-1", "on": "2026-12-01", "amount": 2.5},
        ),
    ],
    ids=["model", "json-ready", "needs-encoding"],
)
async def test_a_retry_gets_the_stored_response_as_json(
    notes: Notes, response: Any, stored: Any
) -> None:
    async def create(session: AsyncSession) -> tuple[int, Any]:
        return await idempotent(
            session,
            notes.metadata,
            scope="notes",
            key="k-1",
            body={"text": "hello"},
            create=lambda: _answer(response),
        )

    async with notes.sessionmaker() as session, session.begin():
        first = await create(session)
    async with notes.sessionmaker() as session, session.begin():
        assert await create(session) == (201, response if stored is None else stored)
    if isinstance(response, BaseModel):
        # The model is dumped once: that text is what is stored and what is answered.
        assert first == (201, DumpedJson(response.model_dump_json(by_alias=True)))
        assert json.loads(first[1].text) == stored
    else:
        assert first == (201, response)


async def test_without_a_key_a_model_is_answered_as_its_json_text(notes: Notes) -> None:
    note = NoteRead(id="n-1", text="Zoë", created_on=date(2026, 12, 1), weight=Decimal("1.5"))
    async with notes.sessionmaker() as session, session.begin():
        answered = await idempotent(
            session,
            notes.metadata,
            scope="notes",
            key=None,
            body={},
            create=lambda: _answer(note),
        )
    assert answered == (201, DumpedJson(note.model_dump_json(by_alias=True)))


def test_an_answer_dumped_already_is_sent_as_it_is_and_anything_else_as_json() -> None:
    text = '{"id":"n-1","text":"Zoë"}'
    dumped = json_answer(201, DumpedJson(text))
    assert (dumped.status_code, dumped.body, dumped.media_type) == (
        201,
        text.encode(),
        "application/json",
    )
    stored = json_answer(200, {"id": "n-1", "text": "Zoë"})
    assert (stored.status_code, stored.body) == (200, text.encode())


async def _answer(response: Any) -> tuple[int, Any]:
    return 201, response


async def test_without_a_key_every_request_creates(notes: Notes) -> None:
    await notes.create("hello", subject="alice", key=None)
    await notes.create("hello", subject="alice", key=None)
    assert await notes.count() == 2
