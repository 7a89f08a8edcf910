"""The printed customer statements (about a customer, not an order: a table of their own)."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Index,
    String,
    Table,
    Uuid,
    func,
)

from documents.adapters.tables import metadata

statements = Table(
    "statements",
    metadata,
    Column("id", Uuid, primary_key=True),  # billing's statement id
    Column("customer_id", String(200), nullable=False),
    Column("customer_name", String(200), nullable=True),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("owner", String(200), nullable=True),  # the customer's owner and team, when known
    Column("team", String(200), nullable=True),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("storage_key", String(500), nullable=False),
    Column("source_event_id", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("size >= 0", name="size"),
    CheckConstraint("period_start <= period_end", name="period"),
    Index("ix_statements_customer_id_created_at", "customer_id", "created_at", "id"),
    Index("ix_statements_created_at", "created_at", "id"),
)
