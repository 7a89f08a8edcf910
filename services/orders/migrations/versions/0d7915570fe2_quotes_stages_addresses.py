"""Quotes, stages and approval, customer addresses, opportunities, saved filters, archiving,
templates and recurring billing on orders; timeline entries about quotes.

Existing customers' billing and shipping addresses become their default addresses.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from servicekit import migrations as shared

revision = "0d7915570fe2"
down_revision = "7c1d2e3f4a5b"


def upgrade() -> None:
    op.create_table(
        "quote_number_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_quote_number_counters")),
    )
    op.create_table(
        "saved_filters",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("query", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_filters")),
        sa.UniqueConstraint("owner", "name", name="uq_saved_filters_owner_name"),
    )
    op.create_table(
        "stages",
        sa.Column("key", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("required_fields", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("allowed_roles", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("is_approval", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_stages")),
        sa.UniqueConstraint("position", name=op.f("uq_stages_position")),
    )
    op.create_table(
        "customer_addresses",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("customer_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("address", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        *shared.timestamp_columns(default_now=False),
        sa.CheckConstraint(
            "kind IN ('billing', 'shipping')", name=op.f("ck_customer_addresses_kind")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_addresses_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_addresses")),
    )
    op.create_index(
        "ix_customer_addresses_customer_id",
        "customer_addresses",
        ["customer_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "uq_customer_addresses_default",
        "customer_addresses",
        ["customer_id", "kind"],
        unique=True,
        postgresql_where=sa.text("is_default"),
    )
    op.create_table(
        "opportunities",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.Uuid(as_uuid=False), nullable=True),
        *shared.timestamp_columns(),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_opportunities_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunities")),
    )
    op.create_table(
        "quotes",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("quote_date", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("customer_reference", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        *shared.letter_text_columns(),
        *shared.payment_terms_columns(days_nullable=True),
        *shared.address_columns(),
        sa.Column("opportunity_id", sa.String(length=200), nullable=True),
        sa.Column("opportunity_name", sa.String(length=200), nullable=True),
        sa.Column("template_id", sa.String(length=200), nullable=True),
        sa.Column("recurring_frequency", sa.String(length=10), nullable=True),
        sa.Column("recurring_start", sa.Date(), nullable=True),
        sa.Column("recurring_end", sa.Date(), nullable=True),
        *shared.totals_columns(),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        *shared.timestamp_columns(default_now=False),
        sa.CheckConstraint(
            "recurring_frequency IN ('monthly', 'quarterly', 'yearly')",
            name=op.f("ck_quotes_recurring_frequency"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'sent', 'accepted', 'rejected')", name=op.f("ck_quotes_status")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_quotes_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_quotes_opportunity_id_opportunities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotes")),
        sa.UniqueConstraint("number", name=op.f("uq_quotes_number")),
    )
    op.create_index("ix_quotes_created_at_id", "quotes", ["created_at", "id"], unique=False)
    op.create_index("ix_quotes_customer_id", "quotes", ["customer_id"], unique=False)
    op.create_index("ix_quotes_opportunity_id", "quotes", ["opportunity_id"], unique=False)
    op.create_table(
        "quote_documents",
        sa.Column("quote_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("document_id", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("download_path", sa.String(length=500), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["quote_id"], ["quotes.id"], name=op.f("fk_quote_documents_quote_id_quotes")
        ),
        sa.PrimaryKeyConstraint("quote_id", "document_id", name="pk_quote_documents"),
    )
    op.create_table(
        "quote_lines",
        sa.Column("quote_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        *shared.priced_line_columns(),
        sa.CheckConstraint("kind IN ('product', 'service')", name=op.f("ck_quote_lines_kind")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_quote_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["quote_id"], ["quotes.id"], name=op.f("fk_quote_lines_quote_id_quotes")
        ),
        sa.PrimaryKeyConstraint("quote_id", "line_no", name="pk_quote_lines"),
    )
    op.add_column("order_timeline", sa.Column("quote_id", sa.Uuid(as_uuid=False), nullable=True))
    op.alter_column("order_timeline", "order_id", existing_type=sa.UUID(), nullable=True)
    op.create_index(
        "ix_order_timeline_quote_id_occurred_at",
        "order_timeline",
        ["quote_id", "occurred_at", "id"],
        unique=False,
    )
    op.create_foreign_key(
        op.f("fk_order_timeline_quote_id_quotes"), "order_timeline", "quotes", ["quote_id"], ["id"]
    )
    op.add_column("orders", sa.Column("contract_number", sa.String(length=200), nullable=True))
    op.add_column("orders", sa.Column("stage", sa.String(length=50), nullable=True))
    op.add_column("orders", sa.Column("opportunity_id", sa.String(length=200), nullable=True))
    op.add_column("orders", sa.Column("opportunity_name", sa.String(length=200), nullable=True))
    op.add_column("orders", sa.Column("template_id", sa.String(length=200), nullable=True))
    op.add_column("orders", sa.Column("recurring_frequency", sa.String(length=10), nullable=True))
    op.add_column("orders", sa.Column("recurring_start", sa.Date(), nullable=True))
    op.add_column("orders", sa.Column("recurring_end", sa.Date(), nullable=True))
    op.add_column("orders", sa.Column("quote_id", sa.Uuid(as_uuid=False), nullable=True))
    op.add_column(
        "orders", sa.Column("approval", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.add_column("orders", sa.Column("cancellation_reason", sa.Text(), nullable=True))
    op.add_column("orders", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    op.alter_column("orders", "customer_id", existing_type=sa.UUID(), nullable=True)
    op.alter_column("orders", "payment_terms_days", existing_type=sa.INTEGER(), nullable=True)
    op.create_index("ix_orders_gross_total_id", "orders", ["gross_total", "id"], unique=False)
    op.create_index("ix_orders_opportunity_id", "orders", ["opportunity_id"], unique=False)
    op.create_index("ix_orders_quote_id", "orders", ["quote_id"], unique=False)
    op.create_index("ix_orders_stage", "orders", ["stage"], unique=False)
    op.create_foreign_key(
        op.f("fk_orders_opportunity_id_opportunities"),
        "orders",
        "opportunities",
        ["opportunity_id"],
        ["id"],
    )
    op.create_foreign_key(
        op.f("fk_orders_quote_id_quotes"), "orders", "quotes", ["quote_id"], ["id"]
    )
    op.create_check_constraint(
        op.f("ck_orders_recurring_frequency"),
        "orders",
        "recurring_frequency IN ('monthly', 'quarterly', 'yearly')",
    )
    op.create_check_constraint(
        op.f("ck_order_timeline_one_subject"),
        "order_timeline",
        "(order_id IS NULL) <> (quote_id IS NULL)",
    )
    for kind in ("billing", "shipping"):
        op.execute(
            "INSERT INTO customer_addresses "
            "(id, customer_id, kind, label, address, is_default, created_at, updated_at) "
            f"SELECT gen_random_uuid(), id, '{kind}', NULL, {kind}_address, true, "
            "created_at, created_at "
            f"FROM customers WHERE {kind}_address IS NOT NULL"
        )


def downgrade() -> None:
    # Fails if customer-less draft orders exist; unagreed payment terms become the default.
    op.execute("UPDATE orders SET payment_terms_days = 30 WHERE payment_terms_days IS NULL")
    op.drop_constraint(op.f("ck_order_timeline_one_subject"), "order_timeline", type_="check")
    op.drop_constraint(op.f("ck_orders_recurring_frequency"), "orders", type_="check")
    op.execute("DELETE FROM order_timeline WHERE quote_id IS NOT NULL")
    op.drop_constraint(op.f("fk_orders_quote_id_quotes"), "orders", type_="foreignkey")
    op.drop_constraint(op.f("fk_orders_opportunity_id_opportunities"), "orders", type_="foreignkey")
    op.drop_index("ix_orders_stage", table_name="orders")
    op.drop_index("ix_orders_quote_id", table_name="orders")
    op.drop_index("ix_orders_opportunity_id", table_name="orders")
    op.drop_index("ix_orders_gross_total_id", table_name="orders")
    op.alter_column("orders", "payment_terms_days", existing_type=sa.INTEGER(), nullable=False)
    op.alter_column("orders", "customer_id", existing_type=sa.UUID(), nullable=False)
    op.drop_column("orders", "archived_at")
    op.drop_column("orders", "cancellation_reason")
    op.drop_column("orders", "approval")
    op.drop_column("orders", "quote_id")
    op.drop_column("orders", "recurring_end")
    op.drop_column("orders", "recurring_start")
    op.drop_column("orders", "recurring_frequency")
    op.drop_column("orders", "template_id")
    op.drop_column("orders", "opportunity_name")
    op.drop_column("orders", "opportunity_id")
    op.drop_column("orders", "stage")
    op.drop_column("orders", "contract_number")
    op.drop_constraint(
        op.f("fk_order_timeline_quote_id_quotes"), "order_timeline", type_="foreignkey"
    )
    op.drop_index("ix_order_timeline_quote_id_occurred_at", table_name="order_timeline")
    op.alter_column("order_timeline", "order_id", existing_type=sa.UUID(), nullable=False)
    op.drop_column("order_timeline", "quote_id")
    op.drop_table("quote_lines")
    op.drop_table("quote_documents")
    op.drop_index("ix_quotes_opportunity_id", table_name="quotes")
    op.drop_index("ix_quotes_customer_id", table_name="quotes")
    op.drop_index("ix_quotes_created_at_id", table_name="quotes")
    op.drop_table("quotes")
    op.drop_table("opportunities")
    op.drop_index(
        "uq_customer_addresses_default",
        table_name="customer_addresses",
        postgresql_where=sa.text("is_default"),
    )
    op.drop_index("ix_customer_addresses_customer_id", table_name="customer_addresses")
    op.drop_table("customer_addresses")
    op.drop_table("stages")
    op.drop_table("saved_filters")
    op.drop_table("quote_number_counters")
