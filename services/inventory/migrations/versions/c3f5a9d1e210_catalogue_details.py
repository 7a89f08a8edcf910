"""products gain list prices, unit of measure, tax category, active flag and barcode"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "c3f5a9d1e210"
down_revision = "f7a3c9e5d611"


def upgrade() -> None:
    # Existing products keep working: no price, sold per unit, standard tax, active.
    op.add_column(
        "products",
        sa.Column("list_prices", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    )
    op.add_column(
        "products",
        sa.Column("unit_of_measure", sa.String(32), nullable=False, server_default="unit"),
    )
    op.add_column(
        "products",
        sa.Column("tax_category", sa.String(32), nullable=False, server_default="standard"),
    )
    op.add_column(
        "products",
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
    )
    op.add_column("products", sa.Column("barcode", sa.String(14)))
    op.create_index("ix_products_barcode", "products", ["barcode"])


def downgrade() -> None:
    op.drop_index("ix_products_barcode", table_name="products")
    for column in ("barcode", "active", "tax_category", "unit_of_measure", "list_prices"):
        op.drop_column("products", column)
