"""outbox rows refused by Kafka for good are parked with their error

Revision ID: a1f0c7e2b301
Revises: 0d7915570fe2
Create Date: 2026-12-01 06:40:00.000000
"""

from collections.abc import Sequence

from servicekit.migrations import add_outbox_parking, drop_outbox_parking

revision: str = "a1f0c7e2b301"
down_revision: str | None = "0d7915570fe2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_outbox_parking()


def downgrade() -> None:
    drop_outbox_parking()
