"""Outbox rows refused by Kafka for good are parked, as every service's next migration does.

Revision ID: 0002
Revises: 0001
"""

from servicekit.migrations import add_outbox_parking, drop_outbox_parking

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_outbox_parking()


def downgrade() -> None:
    drop_outbox_parking()
