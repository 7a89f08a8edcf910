"""The file sweep: delete stored files that no document or statement points at any more.

A rendition is stored before the transaction that records it (`generation.py`: the row never
points at a missing file), so some files end up unreferenced: the previous rendition of a
document rendered again (a revised order's confirmation), a file stored ahead of a batch whose
handler then failed, a file stored just before a crash, the temporary file of a write cut short.
Nothing reads them; the sweep deletes them once they are older than a grace period, so that a
file stored moments ago for a transaction still in progress is never taken.

Keys name their owner (`<kind>/<document id>/<sha256>.pdf`, `statement/<statement id>/…`). For
each batch of old files the sweep locks their owners' rows (`FOR UPDATE SKIP LOCKED`: the lock a
handler takes before it stores and records a new rendition), keeps every file a row points at and
every file whose row another transaction holds (the next round looks again), and deletes the
rest unless they were written again since they were found. A key of any other shape is kept.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Collection
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from documents.domain.model import DocumentKind
from documents.service_layer.ports import FoundFile, SweptStorage

log = logging.getLogger(__name__)

STATEMENT_PREFIX = "statement"  # `domain.statements.statement_storage_key`


class Owner(StrEnum):
    """The table whose rows point at stored files."""

    DOCUMENTS = "documents"
    STATEMENTS = "statements"


_DOCUMENT_PREFIXES = frozenset(kind.value for kind in DocumentKind)


@dataclass(frozen=True)
class HeldKeys:
    """What the rows of some ids point at now."""

    current: dict[uuid.UUID, str]  # the row's storage key; the row locked by this transaction
    busy: frozenset[uuid.UUID]  # rows another transaction holds: looked at again next round


class StoredKeys(Protocol):
    async def hold(self, owner: Owner, ids: Collection[uuid.UUID]) -> HeldKeys:
        """Lock the rows of `ids` that exist and are free (until the transaction ends) and
        read their storage keys; ids without a row are in neither part of the answer."""
        ...


Transaction = Callable[[], AbstractAsyncContextManager[StoredKeys]]


@dataclass
class SweepReport:
    files_removed: int = 0
    bytes_removed: int = 0
    leftovers_removed: int = 0  # of them, temporary files of unfinished writes
    kept_held: int = 0  # unreferenced but their row was busy: looked at again next round
    kept_unknown: int = 0  # keys of no known shape: never touched


def owner_of(key: str) -> tuple[Owner, uuid.UUID] | None:
    """Whose file `key` is, or None for a key of no known shape."""
    parts = key.split("/")
    if len(parts) != 3:
        return None
    prefix, owner_id, _ = parts
    if prefix == STATEMENT_PREFIX:
        owner = Owner.STATEMENTS
    elif prefix in _DOCUMENT_PREFIXES:
        owner = Owner.DOCUMENTS
    else:
        return None
    try:
        return owner, uuid.UUID(owner_id)
    except ValueError:
        return None


async def sweep_files(
    storage: SweptStorage,
    transaction: Transaction,
    *,
    cutoff: datetime,
    batch: int = 200,
    stopping: Callable[[], bool] = lambda: False,
) -> SweepReport:
    """Delete the files last written before `cutoff` that no row points at; one transaction
    per `batch` files. `stopping()` ends the sweep between batches."""
    report = SweepReport()
    async for found in storage.files_older_than(cutoff, batch=batch):
        await _sweep_batch(storage, transaction, found, report)
        if stopping():
            break
    return report


async def _sweep_batch(
    storage: SweptStorage, transaction: Transaction, found: list[FoundFile], report: SweepReport
) -> None:
    owned: list[tuple[FoundFile, Owner, uuid.UUID]] = []
    for file in found:
        if file.key is None:
            if await storage.remove(file):
                report.leftovers_removed += 1
                _count_removed(report, file)
            continue
        whose = owner_of(file.key)
        if whose is None:
            report.kept_unknown += 1
            continue
        owned.append((file, *whose))
    if not owned:
        return
    async with transaction() as keys:
        held = {
            owner: await keys.hold(owner, {each_id for _, each, each_id in owned if each is owner})
            for owner in Owner
        }
        # Removed while the rows stay locked: no handler records one of these files meanwhile.
        for file, owner, owner_id in owned:
            if owner_id in held[owner].busy:
                report.kept_held += 1
            elif held[owner].current.get(owner_id) != file.key and await storage.remove(file):
                _count_removed(report, file)
                log.debug("removed %s, unreferenced since %s", file.name, file.modified_at)


def _count_removed(report: SweepReport, file: FoundFile) -> None:
    report.files_removed += 1
    report.bytes_removed += file.size
