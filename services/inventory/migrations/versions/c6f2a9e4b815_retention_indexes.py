"""Indexes by which the retention job finds old outbox, inbox and idempotency rows (ADR 50)"""

from servicekit.migrations import add_retention_indexes, drop_retention_indexes

revision = "c6f2a9e4b815"
down_revision = "b4e8d2f6a913"

# Alembic calls these; the shared helpers are the whole revision.
upgrade = add_retention_indexes
downgrade = drop_retention_indexes
