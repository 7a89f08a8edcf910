"""events are numbered per subject; orders apply other services' events only forwards

Revision ID: e5a4b0c6d705
Revises: a1f0c7e2b301
Create Date: 2026-12-01 06:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from servicekit.sequencing import create_event_sequences_table, drop_event_sequences_table

revision: str = "e5a4b0c6d705"
down_revision: str | None = "a1f0c7e2b301"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_event_sequences_table()
    op.add_column(
        "orders",
        sa.Column(
            "applied_sequences",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )
    op.add_column("order_timeline", sa.Column("sequence", sa.BigInteger(), nullable=True))
    op.add_column(
        "order_timeline",
        sa.Column("stale", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("order_timeline", "stale")
    op.drop_column("order_timeline", "sequence")
    op.drop_column("orders", "applied_sequences")
    drop_event_sequences_table()
