"""invoicing policies: an order may have several invoices; billing keeps each order's latest
snapshot with its policy, and the quantities its shipments took"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "d4a9e2f7c180"
down_revision = "b7e3d5a2c019"


def upgrade() -> None:
    op.drop_constraint("uq_invoices_order_id", "invoices", type_="unique")
    op.create_index("ix_invoices_order_id", "invoices", ["order_id"])
    op.create_table(
        "billable_orders",
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("policy", sa.String(length=20), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "policy IN ('on_completion', 'on_delivery', 'manual')",
            name=op.f("ck_billable_orders_policy"),
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_billable_orders")),
    )
    op.create_table(
        "order_shipments",
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("shipment_id", sa.String(length=200), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=15, scale=3), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("order_id", "shipment_id", "sku", name=op.f("pk_order_shipments")),
    )


def downgrade() -> None:
    op.drop_table("order_shipments")
    op.drop_table("billable_orders")
    op.drop_index("ix_invoices_order_id", table_name="invoices")
    op.create_unique_constraint("uq_invoices_order_id", "invoices", ["order_id"])
