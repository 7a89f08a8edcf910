"""Tables of the documents service's own database (outbox, inbox and idempotency keys included)."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    func,
)

from servicekit.db import new_metadata

metadata = new_metadata()

documents = Table(
    "documents",
    metadata,
    Column("id", Uuid, primary_key=True),  # uuid5 of (order id, kind, reference)
    Column("order_id", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("storage_key", String(500), nullable=False),
    Column("source_event_id", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("kind", "reference", name="uq_documents_kind_reference"),
    CheckConstraint("kind IN ('order_confirmation', 'invoice')", name="kind"),
    CheckConstraint("size >= 0", name="size"),
    Index("ix_documents_order_id_created_at", "order_id", "created_at", "id"),
    Index("ix_documents_created_at", "created_at", "id"),
)
