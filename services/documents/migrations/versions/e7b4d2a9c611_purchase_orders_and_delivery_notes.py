"""purchase orders and delivery notes: documents of a purchase order (and their e-mails), delivery
notes of an order's shipments, and the order snapshots they print from

Backwards compatible: new nullable columns, a wider kind check, a new table.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "e7b4d2a9c611"
down_revision = "b5d7e9f1a234"

OLD_KINDS = "kind IN ('order_confirmation', 'invoice', 'quote', 'einvoice', 'credit_note')"
OLD_OWNER = (
    "CASE WHEN kind = 'quote' THEN quote_id IS NOT NULL AND order_id IS NULL "
    "ELSE order_id IS NOT NULL AND quote_id IS NULL END"
)
KINDS = (
    "kind IN ('order_confirmation', 'invoice', 'quote', 'einvoice', 'credit_note', "
    "'purchase_order', 'delivery_note')"
)
OWNER = (
    "CASE WHEN kind = 'quote' THEN quote_id IS NOT NULL AND order_id IS NULL "
    "AND purchase_order_id IS NULL "
    "WHEN kind = 'purchase_order' THEN purchase_order_id IS NOT NULL AND order_id IS NULL "
    "AND quote_id IS NULL "
    "ELSE order_id IS NOT NULL AND quote_id IS NULL AND purchase_order_id IS NULL END"
)


def upgrade() -> None:
    op.add_column("documents", sa.Column("purchase_order_id", sa.String(length=200), nullable=True))
    op.add_column("emails", sa.Column("purchase_order_id", sa.String(length=200), nullable=True))
    op.drop_constraint(op.f("ck_documents_kind"), "documents", type_="check")
    op.create_check_constraint(op.f("ck_documents_kind"), "documents", KINDS)
    op.drop_constraint(op.f("ck_documents_owner"), "documents", type_="check")
    op.create_check_constraint(op.f("ck_documents_owner"), "documents", OWNER)
    op.create_index(
        "ix_documents_purchase_order_id_created_at",
        "documents",
        ["purchase_order_id", "created_at", "id"],
        postgresql_where=sa.text("purchase_order_id IS NOT NULL"),
    )
    op.create_table(
        "order_snapshots",
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_order_snapshots")),
    )


def downgrade() -> None:
    op.drop_table("order_snapshots")
    op.drop_index("ix_documents_purchase_order_id_created_at", table_name="documents")
    op.execute(
        "DELETE FROM emails WHERE document_id IN "
        "(SELECT id FROM documents WHERE kind IN ('purchase_order', 'delivery_note'))"
    )
    op.execute("DELETE FROM documents WHERE kind IN ('purchase_order', 'delivery_note')")
    op.drop_constraint(op.f("ck_documents_owner"), "documents", type_="check")
    op.create_check_constraint(op.f("ck_documents_owner"), "documents", OLD_OWNER)
    op.drop_constraint(op.f("ck_documents_kind"), "documents", type_="check")
    op.create_check_constraint(op.f("ck_documents_kind"), "documents", OLD_KINDS)
    op.drop_column("emails", "purchase_order_id")
    op.drop_column("documents", "purchase_order_id")
