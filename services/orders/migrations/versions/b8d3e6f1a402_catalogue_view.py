"""the catalogue view: items and stock levels kept from inventory's events"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from servicekit.columns import QUANTITY

revision = "b8d3e6f1a402"
down_revision = "e6b1f3c8d204"


def upgrade() -> None:
    op.create_table(
        "catalogue_items",
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("list_prices", JSONB, nullable=False),
        sa.Column("unit_of_measure", sa.String(32), nullable=False),
        sa.Column("tax_category", sa.String(32), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("barcode", sa.String(14)),
        sa.Column("sequence", sa.BigInteger),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_catalogue_items_barcode", "catalogue_items", ["barcode"])
    op.create_table(
        "catalogue_stock",
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("warehouse", sa.String(32), nullable=False),
        sa.Column("on_hand", QUANTITY, nullable=False),
        sa.Column("reserved", QUANTITY, nullable=False),
        sa.Column("available", QUANTITY, nullable=False),
        sa.Column("sequence", sa.BigInteger),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("sku", "warehouse", name="pk_catalogue_stock"),
    )


def downgrade() -> None:
    op.drop_table("catalogue_stock")
    op.drop_index("ix_catalogue_items_barcode", table_name="catalogue_items")
    op.drop_table("catalogue_items")
