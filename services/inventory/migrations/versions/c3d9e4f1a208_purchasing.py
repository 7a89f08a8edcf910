"""purchasing: vendors and the products they supply, purchase orders, receipts"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "c3d9e4f1a208"
down_revision = "a7c6d2e8f907"

QUANTITY = sa.Numeric(precision=18, scale=3)
UNIT_PRICE = sa.Numeric(precision=18, scale=4)


def _timestamp(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "vendors",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("payment_terms_days", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(200)),
        sa.Column("phone", sa.String(50)),
        sa.Column("contact_name", sa.String(200)),
        sa.Column("address", postgresql.JSONB()),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.CheckConstraint(
            "payment_terms_days BETWEEN 0 AND 365", name=op.f("ck_vendors_payment_terms_days")
        ),
    )
    op.create_index("ix_vendors_name", "vendors", ["name", "id"])
    op.create_table(
        "vendor_products",
        sa.Column("vendor_id", sa.String(36), sa.ForeignKey("vendors.id"), nullable=False),
        sa.Column("sku", sa.String(64), sa.ForeignKey("products.sku"), nullable=False),
        sa.Column("vendor_sku", sa.String(64)),
        sa.Column("purchase_price", UNIT_PRICE, nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("vendor_id", "sku", name="pk_vendor_products"),
        sa.CheckConstraint(
            "purchase_price >= 0", name=op.f("ck_vendor_products_purchase_price_not_negative")
        ),
        sa.CheckConstraint(
            "lead_time_days >= 0", name=op.f("ck_vendor_products_lead_time_not_negative")
        ),
    )
    op.create_table(
        "purchase_orders",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("number", sa.String(32), nullable=False, unique=True),
        sa.Column("vendor_id", sa.String(36), sa.ForeignKey("vendors.id"), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("warehouse", sa.String(32), sa.ForeignKey("warehouses.code"), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("expected_date", sa.Date()),
        sa.Column("notes", sa.String(4000)),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.CheckConstraint(
            "status IN ('draft', 'sent', 'partially_received', 'received', 'cancelled')",
            name=op.f("ck_purchase_orders_status"),
        ),
    )
    op.create_index("ix_purchase_orders_vendor", "purchase_orders", ["vendor_id", "created_at"])
    op.create_index("ix_purchase_orders_created", "purchase_orders", ["created_at", "id"])
    op.create_table(
        "purchase_order_lines",
        sa.Column(
            "purchase_order_id",
            sa.String(36),
            sa.ForeignKey("purchase_orders.id"),
            nullable=False,
        ),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(64), sa.ForeignKey("products.sku"), nullable=False),
        sa.Column("quantity", QUANTITY, nullable=False),
        sa.Column("unit_price", UNIT_PRICE, nullable=False),
        sa.Column("expected_date", sa.Date()),
        sa.Column(
            "allow_over_receipt", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("received", QUANTITY, server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint(
            "purchase_order_id", "line_no", name="pk_purchase_order_lines"
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_purchase_order_lines_quantity_positive")),
        sa.CheckConstraint(
            "received >= 0", name=op.f("ck_purchase_order_lines_received_not_negative")
        ),
        sa.CheckConstraint(
            "allow_over_receipt OR received <= quantity",
            name=op.f("ck_purchase_order_lines_received_within_quantity"),
        ),
    )
    op.create_index("ix_purchase_order_lines_sku", "purchase_order_lines", ["sku"])
    op.create_table(
        "purchase_receipts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "purchase_order_id",
            sa.String(36),
            sa.ForeignKey("purchase_orders.id"),
            nullable=False,
        ),
        sa.Column("warehouse", sa.String(32), nullable=False),
        _timestamp("created_at"),
    )
    op.create_index(
        "ix_purchase_receipts_order", "purchase_receipts", ["purchase_order_id", "created_at"]
    )
    op.create_table(
        "purchase_receipt_lines",
        sa.Column(
            "receipt_id", sa.String(36), sa.ForeignKey("purchase_receipts.id"), nullable=False
        ),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("quantity", QUANTITY, nullable=False),
        sa.PrimaryKeyConstraint("receipt_id", "sku", name="pk_purchase_receipt_lines"),
        sa.CheckConstraint(
            "quantity > 0", name=op.f("ck_purchase_receipt_lines_quantity_positive")
        ),
    )
    op.create_table(
        "purchase_order_number_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, primary_key=True),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "last_value >= 1", name=op.f("ck_purchase_order_number_counters_positive")
        ),
    )


def downgrade() -> None:
    for table in (
        "purchase_order_number_counters",
        "purchase_receipt_lines",
        "purchase_receipts",
        "purchase_order_lines",
        "purchase_orders",
        "vendor_products",
        "vendors",
    ):
        op.drop_table(table)
