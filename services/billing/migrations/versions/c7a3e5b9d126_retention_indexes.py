"""Indexes by which the retention job finds old outbox, inbox and idempotency rows (ADR 50)"""

from servicekit.migrations import add_retention_indexes, drop_retention_indexes

revision = "c7a3e5b9d126"
down_revision = "b5d7e9f1a3c4"

# Alembic calls these; the shared helpers are the whole revision.
upgrade = add_retention_indexes
downgrade = drop_retention_indexes
