"""events are numbered per subject; orders apply other services' events only forwards"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from servicekit.sequencing import create_event_sequences_table, drop_event_sequences_table

revision = "e5a4b0c6d705"
down_revision = "a1f0c7e2b301"


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
