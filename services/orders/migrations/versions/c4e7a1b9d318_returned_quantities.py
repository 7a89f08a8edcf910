"""returned quantities: what came back from the customer, per order line"""

import sqlalchemy as sa
from alembic import op

revision = "c4e7a1b9d318"
down_revision = "d6e2a9c4f817"


def upgrade() -> None:
    op.add_column(
        "order_lines",
        sa.Column(
            "returned_quantity",
            sa.Numeric(precision=15, scale=3),
            server_default=sa.text("0"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("order_lines", "returned_quantity")
