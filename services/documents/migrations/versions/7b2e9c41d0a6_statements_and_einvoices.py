"""statements and e-invoices: printed customer statements; the `einvoice` document kind"""

import sqlalchemy as sa
from alembic import op

revision = "7b2e9c41d0a6"
down_revision = "a7c2e9f4b1d6"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_documents_kind"), "documents", type_="check")
    op.create_check_constraint(
        op.f("ck_documents_kind"),
        "documents",
        "kind IN ('order_confirmation', 'invoice', 'quote', 'einvoice')",
    )
    op.create_table(
        "statements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("customer_name", sa.String(length=200), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("team", sa.String(length=200), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=500), nullable=False),
        sa.Column("source_event_id", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint("size >= 0", name=op.f("ck_statements_size")),
        sa.CheckConstraint("period_start <= period_end", name=op.f("ck_statements_period")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statements")),
    )
    op.create_index(
        "ix_statements_customer_id_created_at",
        "statements",
        ["customer_id", "created_at", "id"],
        unique=False,
    )
    op.create_index("ix_statements_created_at", "statements", ["created_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_statements_created_at", table_name="statements")
    op.drop_index("ix_statements_customer_id_created_at", table_name="statements")
    op.drop_table("statements")
    op.execute("DELETE FROM documents WHERE kind = 'einvoice'")
    op.drop_constraint(op.f("ck_documents_kind"), "documents", type_="check")
    op.create_check_constraint(
        op.f("ck_documents_kind"), "documents", "kind IN ('order_confirmation', 'invoice', 'quote')"
    )
