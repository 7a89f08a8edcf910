"""Per-subject event sequences: each event a service records about one subject (message key,
the order id for anything about an order) is numbered 1, 2, 3... in that service's database.

The number comes from an upsert of the key's counter row, which holds its row lock until the
transaction ends. Two transactions recording events about one order therefore take their numbers
in the order they commit, and a rolled-back transaction gives its number back: per producer and
per subject the sequence has no gaps and follows the commits. A consumer that keeps the last
sequence it applied per producer can tell a stale event (delivered late, or replayed under a new
id) from a new one (ADR 8).

Opt-in per service: its `adapters/tables.py` calls `add_event_sequences_table(metadata)`, and a
migration calls `create_event_sequences_table()`; `SqlUnitOfWorkBase.record` then stamps every
event it records.
"""

from __future__ import annotations

import functools

import sqlalchemy as sa
from alembic import op
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ColumnElement,
    MetaData,
    String,
    Table,
    bindparam,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.sql.dml import ReturningInsert

EVENT_SEQUENCES = "event_sequences"


def add_event_sequences_table(metadata: MetaData) -> Table:
    """Declare the counters: one row per message key with the last sequence it was given."""
    return Table(
        EVENT_SEQUENCES,
        metadata,
        Column("key", String(200), primary_key=True),
        Column("last", BigInteger, nullable=False),
        CheckConstraint("last >= 1", name="positive"),
    )


@functools.cache
def take_next_sequence(sequences: Table, key_parameter: str) -> ReturningInsert[int]:
    """Upsert the counter row of the key bound as `key_parameter`, returning its new `last`
    (built once per table and name: it runs for every event recorded). For a statement of the
    caller's that numbers an event as it writes it, as a `WITH` (`outbox.numbered_outbox_insert`).
    """
    key = bindparam(key_parameter, type_=sequences.c["key"].type)
    return _upsert_counter(sequences, insert(sequences).values(key=key, last=1))


def take_next_sequence_if(
    sequences: Table, key_parameter: str, when: ColumnElement[bool]
) -> ReturningInsert[int]:
    """`take_next_sequence`, only if `when` holds (a condition on other parts of the caller's
    statement): otherwise no counter is touched and no number is taken, so none goes missing.
    Built per call: the caller builds its statement once."""
    key = bindparam(key_parameter, type_=sequences.c["key"].type)
    first = select(key, literal(1, BigInteger)).where(when)
    return _upsert_counter(sequences, insert(sequences).from_select(["key", "last"], first))


def _upsert_counter(sequences: Table, new_row: Insert) -> ReturningInsert[int]:
    last = sequences.c["last"]
    return new_row.on_conflict_do_update(
        index_elements=[sequences.c["key"]], set_={"last": last + 1}
    ).returning(last)


def create_event_sequences_table() -> None:
    """Create the counters (call from a migration's `upgrade()`). Frozen as migrations must be:
    a later change to the table needs a helper of its own."""
    op.create_table(
        EVENT_SEQUENCES,
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("last >= 1", name=op.f("ck_event_sequences_positive")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_event_sequences")),
    )


def drop_event_sequences_table() -> None:
    """Undo `create_event_sequences_table`."""
    op.drop_table(EVENT_SEQUENCES)
