"""the sales read model's order lines and shipped quantities: per product figures, fill rate"""

import sqlalchemy as sa
from alembic import op

revision = "d4a8c2e6f135"
down_revision = "c7e1a3b5d924"

QUANTITY = sa.Numeric(15, 3)


def upgrade() -> None:
    op.create_table(
        "sales_lines",
        sa.Column("order_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity", QUANTITY, nullable=False),
        sa.Column("net", sa.Numeric(20, 4), nullable=False),
        sa.Column("gross", sa.Numeric(20, 4), nullable=False),
        sa.PrimaryKeyConstraint("order_id", "line_no", name="pk_sales_lines"),
    )
    op.create_index("ix_sales_lines_sku", "sales_lines", ["sku"])
    op.create_table(
        "sales_shipped",
        sa.Column("shipment_id", sa.String(200), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("order_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("quantity", QUANTITY, nullable=False),
        sa.PrimaryKeyConstraint("shipment_id", "sku", name="pk_sales_shipped"),
    )
    op.create_index("ix_sales_shipped_order_id", "sales_shipped", ["order_id"])


def downgrade() -> None:
    op.drop_table("sales_shipped")
    op.drop_table("sales_lines")
