"""the sales read model: order intake and revenue net of credit notes, fed by events"""

import sqlalchemy as sa
from alembic import op

revision = "d6e2a9c4f817"
down_revision = "a8e3c6f2d905"

MONEY = sa.Numeric(20, 4)


def upgrade() -> None:
    op.create_table(
        "sales_intake",
        sa.Column("order_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("customer_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("confirmed_on", sa.Date(), nullable=False),
        sa.Column("net", MONEY, nullable=False),
        sa.Column("gross", MONEY, nullable=False),
        sa.Column("cancelled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("sequence", sa.BigInteger()),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_sales_intake")),
    )
    op.create_index("ix_sales_intake_confirmed_on", "sales_intake", ["confirmed_on"])
    op.create_table(
        "sales_revenue",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("document_id", sa.String(200), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("order_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("customer_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("net", MONEY, nullable=False),
        sa.Column("gross", MONEY, nullable=False),
        sa.CheckConstraint("kind IN ('invoice', 'credit_note')", name=op.f("ck_sales_revenue_kind")),
        sa.PrimaryKeyConstraint("kind", "document_id", name="pk_sales_revenue"),
    )
    op.create_index("ix_sales_revenue_issued_on", "sales_revenue", ["issued_on"])
    op.create_index("ix_sales_revenue_order_id", "sales_revenue", ["order_id"])


def downgrade() -> None:
    op.drop_table("sales_revenue")
    op.drop_table("sales_intake")
