"""invoice states: each invoice's last reported status, so the order follows all its invoices"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "c2f8a4d6e913"
down_revision = "b9d3f6a2c815"


def upgrade() -> None:
    op.add_column(
        "orders",
        sa.Column(
            "invoice_states",
            postgresql.JSONB(),
            nullable=False,
            server_default=sa.text("'{}'::jsonb"),
        ),
    )


def downgrade() -> None:
    op.drop_column("orders", "invoice_states")
