"""outbox rows refused by Kafka for good are parked with their error

Revision ID: c3d2e9a4d503
Revises: 14ea2ee67b02
Create Date: 2026-12-01 06:40:00.000000
"""

from collections.abc import Sequence

from servicekit.migrations import add_outbox_parking, drop_outbox_parking

revision: str = "c3d2e9a4d503"
down_revision: str | None = "14ea2ee67b02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_outbox_parking()


def downgrade() -> None:
    drop_outbox_parking()
