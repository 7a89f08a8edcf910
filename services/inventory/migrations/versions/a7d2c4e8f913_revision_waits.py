"""revisions of reserved orders: what waits for stock, and the last revision applied"""

import sqlalchemy as sa
from alembic import op

revision = "a7d2c4e8f913"
down_revision = "c3f5a9d1e210"


def upgrade() -> None:
    op.add_column(
        "order_demands",
        sa.Column("revision", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.create_table(
        "reservation_waits",
        sa.Column("order_id", sa.String(200), nullable=False),
        sa.Column("warehouse", sa.String(32), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Numeric(18, 3), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_reservation_waits_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["order_demands.order_id"],
            name=op.f("fk_reservation_waits_order_id_order_demands"),
        ),
        sa.PrimaryKeyConstraint("order_id", "warehouse", "sku", name="pk_reservation_waits"),
        sa.UniqueConstraint("seq", name=op.f("uq_reservation_waits_seq")),
    )
    op.create_index("ix_reservation_waits_sku_seq", "reservation_waits", ["sku", "seq"])


def downgrade() -> None:
    op.drop_index("ix_reservation_waits_sku_seq", table_name="reservation_waits")
    op.drop_table("reservation_waits")
    op.drop_column("order_demands", "revision")
