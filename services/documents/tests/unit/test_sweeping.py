"""The file sweep's decisions and pace, on the in-memory storage and rows (no database, no
broker)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Collection
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from documents.domain.model import DocumentKind, storage_key
from documents.domain.statements import statement_storage_key
from documents.entrypoints.file_sweeper import FIRST_ROUND_DELAY, FileSweeper
from documents.service_layer.sweeping import HeldKeys, Owner, owner_of, sweep_files

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
CUTOFF = NOW - timedelta(days=1)
OLD = NOW - timedelta(days=3)


class FakeStoredKeys:
    """Rows by owner and id with their current key; `busy` ids are held by someone else."""

    def __init__(self) -> None:
        self.rows: dict[Owner, dict[uuid.UUID, str]] = {owner: {} for owner in Owner}
        self.busy: set[uuid.UUID] = set()
        self.transactions = 0
        self.asked: list[tuple[Owner, set[uuid.UUID]]] = []

    async def hold(self, owner: Owner, ids: Collection[uuid.UUID]) -> HeldKeys:
        self.asked.append((owner, set(ids)))
        rows = {id_: key for id_, key in self.rows[owner].items() if id_ in ids}
        free = {id_: key for id_, key in rows.items() if id_ not in self.busy}
        return HeldKeys(current=free, busy=frozenset(rows.keys() - free.keys()))

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[FakeStoredKeys]:
        self.transactions += 1
        yield self


async def _stored(fake_storage, key: str, when: datetime, content: bytes = b"%PDF") -> str:
    fake_storage.clock = lambda: when
    await fake_storage.put(key, content)
    return key


def _key(kind: DocumentKind, document: uuid.UUID, content: str) -> str:
    return storage_key(kind, document, content * 64)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (
            "invoice/6f1c1f43-8f3b-4c4e-9c55-0a6a2f0c1d11/" + "a" * 64 + ".pdf",
            (Owner.DOCUMENTS, uuid.UUID("6f1c1f43-8f3b-4c4e-9c55-0a6a2f0c1d11")),
        ),
        (
            "statement/6f1c1f43-8f3b-4c4e-9c55-0a6a2f0c1d11/" + "b" * 64 + ".pdf",
            (Owner.STATEMENTS, uuid.UUID("6f1c1f43-8f3b-4c4e-9c55-0a6a2f0c1d11")),
        ),
        ("receipt/6f1c1f43-8f3b-4c4e-9c55-0a6a2f0c1d11/x.pdf", None),
        ("invoice/not-a-uuid/x.pdf", None),
        ("invoice/x.pdf", None),
        ("invoice/6f1c1f43-8f3b-4c4e-9c55-0a6a2f0c1d11/extra/x.pdf", None),
    ],
)
def test_a_key_names_its_owner(key: str, expected: tuple[Owner, uuid.UUID] | None) -> None:
    assert owner_of(key) == expected


async def test_old_unreferenced_files_go_and_everything_else_stays(fake_storage) -> None:
    rows = FakeStoredKeys()
    invoice, note, busy, statement, gone = (uuid.uuid4() for _ in range(5))

    earlier = await _stored(fake_storage, _key(DocumentKind.INVOICE, invoice, "1"), OLD)
    current = await _stored(fake_storage, _key(DocumentKind.INVOICE, invoice, "2"), OLD, b"%PDF-2")
    rows.rows[Owner.DOCUMENTS][invoice] = current
    # Unreferenced, but written after the cutoff: its transaction may still be running.
    fresh = await _stored(fake_storage, _key(DocumentKind.DELIVERY_NOTE, note, "3"), NOW)
    # Unreferenced, but its row is held by a handler that may be about to point at it.
    held = await _stored(fake_storage, _key(DocumentKind.ORDER_CONFIRMATION, busy, "4"), OLD)
    rows.rows[Owner.DOCUMENTS][busy] = _key(DocumentKind.ORDER_CONFIRMATION, busy, "5")
    rows.busy.add(busy)
    old_statement = await _stored(fake_storage, statement_storage_key(statement, "6" * 64), OLD)
    new_statement = await _stored(fake_storage, statement_storage_key(statement, "7" * 64), OLD)
    rows.rows[Owner.STATEMENTS][statement] = new_statement
    # No row at all: a file stored ahead for a handler that then failed.
    orphan = await _stored(fake_storage, _key(DocumentKind.QUOTE, gone, "8"), OLD, b"%PDF-orphan")
    leftover = await _stored(fake_storage, ".x.pdf.abcd1234", OLD, b"%P")
    foreign = await _stored(fake_storage, "exports/report.csv", OLD)

    report = await sweep_files(fake_storage, rows.transaction, cutoff=CUTOFF)

    assert set(fake_storage.objects) == {current, fresh, held, new_statement, foreign}
    assert report.files_removed == 4  # earlier, old_statement, orphan, leftover
    assert report.bytes_removed == len(b"%PDF") * 2 + len(b"%PDF-orphan") + len(b"%P")
    assert report.leftovers_removed == 1
    assert report.kept_held == 1
    assert report.kept_unknown == 1
    assert {earlier, old_statement, orphan, leftover}.isdisjoint(fake_storage.objects)
    # One transaction for the batch; each owner's ids asked about once in it.
    assert rows.transactions == 1
    assert rows.asked == [
        (Owner.DOCUMENTS, {invoice, busy, gone}),
        (Owner.STATEMENTS, {statement}),
    ]


async def test_a_sweep_goes_batch_by_batch_and_stops_when_asked(fake_storage) -> None:
    rows = FakeStoredKeys()
    for _ in range(5):
        await _stored(fake_storage, _key(DocumentKind.INVOICE, uuid.uuid4(), "1"), OLD)

    report = await sweep_files(
        fake_storage, rows.transaction, cutoff=CUTOFF, batch=2, stopping=lambda: True
    )
    assert report.files_removed == 2
    assert len(fake_storage.objects) == 3
    assert rows.transactions == 1

    report = await sweep_files(fake_storage, rows.transaction, cutoff=CUTOFF, batch=2)
    assert report.files_removed == 3
    assert fake_storage.objects == {}
    assert rows.transactions == 3


async def test_the_worker_waits_before_its_first_sweep(fake_storage) -> None:
    """A starting worker does not walk the storage at once: its first round only waits."""
    listed: list[datetime] = []

    async def files_older_than(cutoff: datetime, *, batch: int) -> AsyncIterator[list[Any]]:
        listed.append(cutoff)
        for _ in ():
            yield []

    fake_storage.files_older_than = files_older_than
    for interval, first_wait in ((6 * 3600.0, FIRST_ROUND_DELAY), (30.0, 30.0)):
        listed.clear()
        sweeper = FileSweeper(
            fake_storage, interval=interval, grace=timedelta(days=1), clock=lambda: NOW
        )
        assert await sweeper._round() == first_wait
        assert listed == []
        assert await sweeper._round() is None  # then every interval
        assert listed == [CUTOFF]
