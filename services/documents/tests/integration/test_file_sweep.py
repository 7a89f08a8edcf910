"""The file sweep against a real PostgreSQL server (and the worker, on a real Kafka broker)."""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from contracts import EventType
from documents.adapters.repositories.stored_keys import SqlStoredKeys
from documents.adapters.storage import FileSystemStorage
from documents.adapters.tables import documents as documents_table
from documents.service_layer.sweeping import sweep_files
from servicekit.testing import eventually, order_event


def _age_tree(root: Path, *, days: float) -> None:
    when = time.time() - days * 86400
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (when, when))


def _sample(metrics: str, prefix: str) -> float:
    """The value of the one sample whose line starts with `prefix`."""
    [line] = [line for line in metrics.splitlines() if line.startswith(prefix)]
    return float(line.rsplit(" ", 1)[1])


async def _rendered_twice(service: Any, order_builder) -> tuple[dict[str, Any], str, str]:
    """An order confirmation rendered, then rendered again with other content (the same
    confirmation delivered again after the order changed): its document, and the first and the
    current rendition's storage keys."""
    order_id = str(uuid.uuid4())
    first = order_event(EventType.ORDER_CONFIRMED, order_builder(order_id, "SO-2026-000007"))
    await service.publish("orders.events", first, key=order_id)
    [document] = await eventually(lambda: service.documents_of(order_id), within=30)
    earlier = (await service.row(document["id"])).storage_key

    changed = order_builder(order_id, "SO-2026-000007", line_count=3)
    await service.publish(
        "orders.events", order_event(EventType.ORDER_CONFIRMED, changed), key=order_id
    )

    async def rendered_again() -> str | None:
        key: str = (await service.row(document["id"])).storage_key
        return key if key != earlier else None

    current = await eventually(rendered_again, within=30)
    [document] = await service.documents_of(order_id)
    assert (service.storage_dir / earlier).is_file()  # the first rendition is still there
    return document, earlier, current


async def test_the_worker_deletes_old_unreferenced_files_and_keeps_the_rest(
    start_service, order_builder
) -> None:
    async with start_service(file_sweep_interval_seconds=0.3) as service:
        document, earlier, current = await _rendered_twice(service, order_builder)
        rendition = service.storage_dir / earlier
        leftover = rendition.with_name(f".{rendition.name}.ab12cd_9")  # a write cut short
        leftover.write_bytes(b"%PDF-1.4 cut")
        _age_tree(service.storage_dir, days=2)
        # Unreferenced but new: maybe stored for a transaction still running.
        fresh = service.storage_dir / "invoice" / str(uuid.uuid4()) / f"{'0' * 64}.pdf"
        fresh.parent.mkdir(parents=True)
        fresh.write_bytes(b"%PDF-1.4 fresh")

        async def swept() -> bool:
            return not rendition.exists() and not leftover.exists()

        await eventually(swept, within=20)
        assert (service.storage_dir / current).is_file()  # old, but the row points at it
        assert fresh.is_file()
        content = await service.content(document)  # still served, checksum and all
        assert content == (service.storage_dir / current).read_bytes()

        metrics = (await service.client.get("/metrics")).text
        assert _sample(metrics, 'suite_document_files_swept_total{reason="unfinished"') >= 1
        assert _sample(metrics, 'suite_document_files_swept_total{reason="unreferenced"') >= 1
        assert _sample(metrics, "suite_document_bytes_swept_total{") >= len(b"%PDF-1.4 cut")


async def test_a_file_whose_document_is_locked_is_kept_until_it_is_free(
    start_service, order_builder
) -> None:
    async with start_service(file_sweep_interval_seconds=0) as service:  # no sweeping worker
        document, earlier, current = await _rendered_twice(service, order_builder)
        _age_tree(service.storage_dir, days=2)
        storage = FileSystemStorage(service.storage_dir)
        cutoff = datetime.now(UTC) - timedelta(days=1)

        @contextlib.asynccontextmanager
        async def transaction() -> AsyncIterator[SqlStoredKeys]:
            async with service.runtime.sessionmaker() as session, session.begin():
                yield SqlStoredKeys(session)

        # A handler rendering this document again holds its row until it commits.
        async with service.runtime.sessionmaker() as handler, handler.begin():
            locked = select(documents_table.c.id).where(
                documents_table.c.id == uuid.UUID(document["id"])
            )
            await handler.execute(locked.with_for_update())
            report = await sweep_files(storage, transaction, cutoff=cutoff)
            assert (report.files_removed, report.kept_held) == (0, 2)
            assert (service.storage_dir / earlier).is_file()

        report = await sweep_files(storage, transaction, cutoff=cutoff)
        assert (report.files_removed, report.kept_held) == (1, 0)
        assert not (service.storage_dir / earlier).exists()
        assert (service.storage_dir / current).is_file()
