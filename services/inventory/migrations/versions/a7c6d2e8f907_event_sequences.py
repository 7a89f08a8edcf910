"""events about an order are numbered per order (CloudEvents sequence)

Revision ID: a7c6d2e8f907
Revises: b2e1d8f3c402
Create Date: 2026-12-01 06:50:00.000000
"""

from collections.abc import Sequence

from servicekit.sequencing import create_event_sequences_table, drop_event_sequences_table

revision: str = "a7c6d2e8f907"
down_revision: str | None = "b2e1d8f3c402"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_event_sequences_table()


def downgrade() -> None:
    drop_event_sequences_table()
