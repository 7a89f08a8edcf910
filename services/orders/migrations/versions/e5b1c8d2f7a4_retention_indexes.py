"""Indexes by which the retention job finds old outbox, inbox and idempotency rows (ADR 50)"""

from servicekit.migrations import add_retention_indexes, drop_retention_indexes

revision = "e5b1c8d2f7a4"
down_revision = "d4e7a1c9b352"

# Alembic calls these; the shared helpers are the whole revision.
upgrade = add_retention_indexes
downgrade = drop_retention_indexes
