"""draft invoices, down-payment lines, recurring schedules (pause, resume, end)"""

import sqlalchemy as sa
from alembic import op

from servicekit.columns import line_amount_columns

revision = "e2b8c4d6f013"
down_revision = "f1c3a5e7b902"


def _created_at() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def _updated_at() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "invoice_drafts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("order_number", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("customer_name", sa.String(length=200), nullable=False),
        sa.Column("customer_email", sa.String(length=200), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        _created_at(),
        _updated_at(),
        sa.CheckConstraint(
            "status IN ('draft', 'issued', 'discarded')", name=op.f("ck_invoice_drafts_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_drafts")),
    )
    op.create_index(op.f("ix_invoice_drafts_order_id"), "invoice_drafts", ["order_id"])
    op.create_table(
        "invoice_draft_lines",
        sa.Column("draft_id", sa.String(length=36), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        *line_amount_columns(),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["invoice_drafts.id"],
            name=op.f("fk_invoice_draft_lines_draft_id_invoice_drafts"),
        ),
        sa.PrimaryKeyConstraint("draft_id", "line_no", name=op.f("pk_invoice_draft_lines")),
    )
    op.create_table(
        "down_payment_lines",
        sa.Column("invoice_id", sa.String(length=36), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        _created_at(),
        sa.CheckConstraint(
            "kind IN ('down_payment', 'deduction')", name=op.f("ck_down_payment_lines_kind")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_down_payment_lines_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("invoice_id", "line_no", name=op.f("pk_down_payment_lines")),
    )
    op.create_index(op.f("ix_down_payment_lines_order_id"), "down_payment_lines", ["order_id"])
    op.create_table(
        "recurring_schedules",
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        _updated_at(),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'ended')", name=op.f("ck_recurring_schedules_status")
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_recurring_schedules")),
    )
    op.create_table(
        "recurring_pauses",
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("paused_on", sa.Date(), nullable=False),
        sa.Column("resumed_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("order_id", "paused_on", name=op.f("pk_recurring_pauses")),
    )


def downgrade() -> None:
    op.drop_table("recurring_pauses")
    op.drop_table("recurring_schedules")
    op.drop_index(op.f("ix_down_payment_lines_order_id"), table_name="down_payment_lines")
    op.drop_table("down_payment_lines")
    op.drop_table("invoice_draft_lines")
    op.drop_index(op.f("ix_invoice_drafts_order_id"), table_name="invoice_drafts")
    op.drop_table("invoice_drafts")
