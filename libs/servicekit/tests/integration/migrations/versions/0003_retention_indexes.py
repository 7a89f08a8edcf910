"""The retention job's indexes, as every service's next migration adds them (ADR 50)."""

from servicekit.migrations import add_retention_indexes, drop_retention_indexes

revision = "0003"
down_revision = "0002"

upgrade = add_retention_indexes
downgrade = drop_retention_indexes
