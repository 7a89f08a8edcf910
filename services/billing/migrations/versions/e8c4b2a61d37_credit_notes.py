"""credit notes: their own yearly series, lines and taxes; invoices keep what was credited and
may be `credited`"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "e8c4b2a61d37"
down_revision = "e2b8c4d6f013"

MONEY = sa.Numeric(precision=20, scale=4)


def _lines_and_taxes() -> None:
    op.create_table(
        "credit_note_lines",
        sa.Column("credit_note_id", sa.String(length=36), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("invoice_line_no", sa.Integer(), nullable=True),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=15, scale=3), nullable=False),
        sa.Column("unit_price", MONEY, nullable=False),
        sa.Column("discount_percent", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("net_amount", MONEY, nullable=False),
        sa.Column("tax_amount", MONEY, nullable=False),
        sa.Column("gross_amount", MONEY, nullable=False),
        sa.ForeignKeyConstraint(
            ["credit_note_id"],
            ["credit_notes.id"],
            name=op.f("fk_credit_note_lines_credit_note_id_credit_notes"),
        ),
        sa.PrimaryKeyConstraint("credit_note_id", "line_no", name=op.f("pk_credit_note_lines")),
    )
    op.create_table(
        "credit_note_taxes",
        sa.Column("credit_note_id", sa.String(length=36), nullable=False),
        sa.Column("rate", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("base", MONEY, nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.ForeignKeyConstraint(
            ["credit_note_id"],
            ["credit_notes.id"],
            name=op.f("fk_credit_note_taxes_credit_note_id_credit_notes"),
        ),
        sa.PrimaryKeyConstraint("credit_note_id", "rate", name=op.f("pk_credit_note_taxes")),
    )


def upgrade() -> None:
    op.add_column(
        "invoices", sa.Column("credited_total", MONEY, server_default="0", nullable=False)
    )
    op.add_column(
        "invoices", sa.Column("credit_applied", MONEY, server_default="0", nullable=False)
    )
    op.drop_constraint(op.f("ck_invoices_status"), "invoices", type_="check")
    op.create_check_constraint(
        op.f("ck_invoices_status"),
        "invoices",
        "status IN ('issued', 'partially_paid', 'paid', 'credited')",
    )
    op.create_check_constraint(
        op.f("ck_invoices_credited_within_gross"),
        "invoices",
        "credited_total <= gross_total AND credit_applied >= 0 AND credit_applied <= "
        "credited_total AND paid_total + credit_applied <= gross_total",
    )
    op.create_table(
        "credit_note_number_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "last_number >= 1", name=op.f("ck_credit_note_number_counters_positive")
        ),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_credit_note_number_counters")),
    )
    op.create_table(
        "credit_notes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("invoice_id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("net_total", MONEY, nullable=False),
        sa.Column("tax_total", MONEY, nullable=False),
        sa.Column("gross_total", MONEY, nullable=False),
        sa.Column("applied_amount", MONEY, nullable=False),
        sa.Column("customer_credit", MONEY, nullable=False),
        sa.Column("credit_payment_id", sa.String(length=36), nullable=True),
        sa.Column("return_id", sa.String(length=200), nullable=True),
        sa.Column("return_number", sa.String(length=200), nullable=True),
        sa.Column("billing_address", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_credit_notes_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["credit_payment_id"],
            ["customer_payments.id"],
            name=op.f("fk_credit_notes_credit_payment_id_customer_payments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_notes")),
        sa.UniqueConstraint("number", name=op.f("uq_credit_notes_number")),
        sa.UniqueConstraint(
            "return_id", "invoice_id", name=op.f("uq_credit_notes_return_id_invoice_id")
        ),
    )
    op.create_index("ix_credit_notes_invoice_id", "credit_notes", ["invoice_id"])
    op.create_index("ix_credit_notes_order_id", "credit_notes", ["order_id"])
    op.create_index("ix_credit_notes_customer_id", "credit_notes", ["customer_id"])
    op.create_index("ix_credit_notes_created_at_id", "credit_notes", ["created_at", "id"])
    _lines_and_taxes()


def downgrade() -> None:
    op.drop_table("credit_note_taxes")
    op.drop_table("credit_note_lines")
    op.drop_table("credit_notes")
    op.drop_table("credit_note_number_counters")
    op.drop_constraint(op.f("ck_invoices_credited_within_gross"), "invoices", type_="check")
    op.drop_constraint(op.f("ck_invoices_status"), "invoices", type_="check")
    op.create_check_constraint(
        op.f("ck_invoices_status"), "invoices", "status IN ('issued', 'partially_paid', 'paid')"
    )
    op.drop_column("invoices", "credit_applied")
    op.drop_column("invoices", "credited_total")
