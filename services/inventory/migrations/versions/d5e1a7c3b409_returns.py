"""returns (RMA) against shipped order lines"""

import sqlalchemy as sa
from alembic import op

revision = "d5e1a7c3b409"
down_revision = "c3d9e4f1a208"

QUANTITY = sa.Numeric(precision=18, scale=3)


def _timestamp(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "returns",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("number", sa.String(32), nullable=False, unique=True),
        sa.Column(
            "order_id", sa.String(200), sa.ForeignKey("order_demands.order_id"), nullable=False
        ),
        sa.Column("reason", sa.String(4000), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.String(4000)),
        sa.Column("received_at", sa.DateTime(timezone=True)),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.CheckConstraint(
            "status IN ('authorised', 'received', 'cancelled')", name=op.f("ck_returns_status")
        ),
    )
    op.create_index("ix_returns_order", "returns", ["order_id", "created_at"])
    op.create_index("ix_returns_created", "returns", ["created_at", "id"])
    op.create_table(
        "return_lines",
        sa.Column("return_id", sa.String(36), sa.ForeignKey("returns.id"), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("quantity", QUANTITY, nullable=False),
        sa.Column("disposition", sa.String(16)),
        sa.PrimaryKeyConstraint("return_id", "sku", name="pk_return_lines"),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_return_lines_quantity_positive")),
        sa.CheckConstraint(
            "disposition IN ('restock', 'scrap')", name=op.f("ck_return_lines_disposition")
        ),
    )
    op.create_table(
        "return_number_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, primary_key=True),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.CheckConstraint("last_value >= 1", name=op.f("ck_return_number_counters_positive")),
    )


def downgrade() -> None:
    for table in ("return_number_counters", "return_lines", "returns"):
        op.drop_table(table)
