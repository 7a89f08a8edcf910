"""events about an order are numbered per order (CloudEvents sequence)

Revision ID: f6b5c1d7e806
Revises: c3d2e9a4d503
Create Date: 2026-12-01 06:50:00.000000
"""

from collections.abc import Sequence

from servicekit.sequencing import create_event_sequences_table, drop_event_sequences_table

revision: str = "f6b5c1d7e806"
down_revision: str | None = "c3d2e9a4d503"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_event_sequences_table()


def downgrade() -> None:
    drop_event_sequences_table()
