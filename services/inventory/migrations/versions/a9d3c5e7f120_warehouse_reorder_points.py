"""reorder points per SKU and warehouse; the product's point stays the fallback"""

import sqlalchemy as sa
from alembic import op

from servicekit import migrations as shared

revision = "a9d3c5e7f120"
down_revision = "e4b8f1a6c722"

QUANTITY = sa.Numeric(precision=18, scale=3)


def upgrade() -> None:
    op.create_table(
        "warehouse_reorder_points",
        sa.Column(
            "warehouse",
            sa.String(32),
            sa.ForeignKey(
                "warehouses.code", name=op.f("fk_warehouse_reorder_points_warehouse_warehouses")
            ),
            nullable=False,
        ),
        sa.Column(
            "sku",
            sa.String(64),
            sa.ForeignKey("products.sku", name=op.f("fk_warehouse_reorder_points_sku_products")),
            nullable=False,
        ),
        sa.Column("reorder_point", QUANTITY, nullable=False),
        sa.Column("reorder_quantity", QUANTITY, nullable=False),
        *shared.timestamp_columns(),
        sa.PrimaryKeyConstraint("warehouse", "sku", name=op.f("pk_warehouse_reorder_points")),
        sa.CheckConstraint(
            "reorder_point >= 0", name=op.f("ck_warehouse_reorder_points_point_not_negative")
        ),
        sa.CheckConstraint(
            "reorder_quantity > 0", name=op.f("ck_warehouse_reorder_points_quantity_positive")
        ),
    )


def downgrade() -> None:
    op.drop_table("warehouse_reorder_points")
