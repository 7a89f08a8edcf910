"""Initial schema: customers, orders and their lines, documents, shipments and timeline,
the per-year order number counters, and the outbox, inbox and idempotency keys.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from servicekit import migrations as shared

revision = "665fafb9ec61"
down_revision = None


def upgrade() -> None:
    shared.create_messaging_tables()
    op.create_table(
        "customers",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        *shared.address_columns(),
        *shared.timestamp_columns("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    op.create_index(
        "ix_customers_lower_email", "customers", [sa.literal_column("lower(email)")], unique=False
    )
    op.create_index("ix_customers_name_id", "customers", ["name", "id"], unique=False)
    op.create_table(
        "order_number_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_order_number_counters")),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("fulfilment", sa.String(length=20), nullable=False),
        sa.Column("billing", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("customer_reference", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        *shared.letter_text_columns(),
        *shared.payment_terms_columns(days_nullable=False),
        *shared.address_columns(),
        *shared.totals_columns(),
        sa.Column("external_reference", sa.String(length=200), nullable=True),
        *shared.timestamp_columns(default_now=False),
        sa.CheckConstraint(
            "billing IN ('not_invoiced', 'invoiced', 'partially_paid', 'paid', 'credited')",
            name=op.f("ck_orders_billing"),
        ),
        sa.CheckConstraint(
            "fulfilment IN ('unreserved', 'reserving', 'reserved', 'backordered', 'partially_shipped', 'shipped')",
            name=op.f("ck_orders_fulfilment"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'open', 'concluded', 'cancelled')", name=op.f("ck_orders_status")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_orders_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("external_reference", name=op.f("uq_orders_external_reference")),
        sa.UniqueConstraint("number", name=op.f("uq_orders_number")),
    )
    op.create_index("ix_orders_created_at_id", "orders", ["created_at", "id"], unique=False)
    op.create_index("ix_orders_customer_id", "orders", ["customer_id"], unique=False)
    op.create_index("ix_orders_order_date", "orders", ["order_date"], unique=False)
    op.create_table(
        "order_documents",
        sa.Column("order_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("document_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("download_path", sa.String(length=500), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_documents_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("order_id", "document_id", name="pk_order_documents"),
    )
    op.create_table(
        "order_lines",
        sa.Column("order_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        *shared.priced_line_columns(),
        sa.Column("shipped_quantity", sa.Numeric(precision=15, scale=3), nullable=False),
        sa.CheckConstraint("kind IN ('product', 'service')", name=op.f("ck_order_lines_kind")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_lines_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("order_id", "line_no", name="pk_order_lines"),
    )
    op.create_table(
        "order_shipments",
        sa.Column("order_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("shipment_id", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_shipments_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("order_id", "shipment_id", name="pk_order_shipments"),
    )
    op.create_table(
        "order_timeline",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("order_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        *shared.timestamp_columns("recorded_at"),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_timeline_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_timeline")),
        sa.UniqueConstraint("event_id", name=op.f("uq_order_timeline_event_id")),
    )
    op.create_index(
        "ix_order_timeline_order_id_occurred_at",
        "order_timeline",
        ["order_id", "occurred_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_order_timeline_order_id_occurred_at", table_name="order_timeline")
    op.drop_table("order_timeline")
    op.drop_table("order_shipments")
    op.drop_table("order_lines")
    op.drop_table("order_documents")
    op.drop_index("ix_orders_order_date", table_name="orders")
    op.drop_index("ix_orders_customer_id", table_name="orders")
    op.drop_index("ix_orders_created_at_id", table_name="orders")
    op.drop_table("orders")
    op.drop_table("order_number_counters")
    op.drop_index("ix_customers_name_id", table_name="customers")
    op.drop_index("ix_customers_lower_email", table_name="customers")
    op.drop_table("customers")
    shared.drop_messaging_tables()
