"""Billing's view of orders' customers: who owns each (from `suite.customer.changed.v1`)."""

from sqlalchemy import BigInteger, Column, DateTime, Index, String, Table, func

from billing.adapters.tables import metadata

customer_owners = Table(
    "customer_owners",
    metadata,
    Column("customer_id", String(200), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("owner", String(200), nullable=True),
    Column("team", String(200), nullable=True),
    # orders' per-customer event sequence: an older event never overwrites a newer one
    Column("sequence", BigInteger, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_customer_owners_owner", "owner"),
    Index("ix_customer_owners_team", "team"),
)
