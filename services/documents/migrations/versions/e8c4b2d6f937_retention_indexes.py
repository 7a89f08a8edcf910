"""Indexes by which the retention job finds old outbox, inbox and idempotency rows (ADR 50)"""

from servicekit.migrations import add_retention_indexes, drop_retention_indexes

revision = "e8c4b2d6f937"
down_revision = "d3a7c9e1f582"

# Alembic calls these; the shared helpers are the whole revision.
upgrade = add_retention_indexes
downgrade = drop_retention_indexes
