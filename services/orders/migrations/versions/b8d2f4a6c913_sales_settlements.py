"""the sales read model's settlements: payments, reversals and credit notes per invoice"""

import sqlalchemy as sa
from alembic import op

revision = "b8d2f4a6c913"
down_revision = "c2f8a4d6e913"


def upgrade() -> None:
    op.create_table(
        "sales_settlements",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("invoice_id", sa.String(200), nullable=False),
        sa.Column("order_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.Numeric(20, 4), nullable=False),
        sa.CheckConstraint(
            "kind IN ('payment', 'reversal', 'credit_note')",
            name=op.f("ck_sales_settlements_kind"),
        ),
        sa.PrimaryKeyConstraint("kind", "invoice_id", "key", name="pk_sales_settlements"),
    )
    op.create_index("ix_sales_settlements_invoice_id", "sales_settlements", ["invoice_id"])


def downgrade() -> None:
    op.drop_table("sales_settlements")
