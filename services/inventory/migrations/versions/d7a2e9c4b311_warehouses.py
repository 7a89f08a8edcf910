"""several warehouses: priority, default and active flags (MAIN the default), the warehouse an
order names, transfers between warehouses"""

import sqlalchemy as sa
from alembic import op

revision = "d7a2e9c4b311"
down_revision = "a7d2c4e8f913"


def upgrade() -> None:
    op.add_column(
        "warehouses", sa.Column("priority", sa.Integer(), nullable=False, server_default="100")
    )
    op.add_column(
        "warehouses",
        sa.Column("is_default", sa.Boolean(), nullable=False, server_default=sa.text("false")),
    )
    op.add_column(
        "warehouses",
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.text("true")),
    )
    # Existing stock lives in MAIN: it becomes the default warehouse.
    op.execute("UPDATE warehouses SET is_default = true WHERE code = 'MAIN'")
    op.create_index(
        "uq_warehouses_default",
        "warehouses",
        ["is_default"],
        unique=True,
        postgresql_where=sa.text("is_default"),
    )
    op.add_column("order_demands", sa.Column("warehouse", sa.String(32)))
    op.create_table(
        "transfers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "from_warehouse",
            sa.String(32),
            sa.ForeignKey("warehouses.code", name=op.f("fk_transfers_from_warehouse_warehouses")),
            nullable=False,
        ),
        sa.Column(
            "to_warehouse",
            sa.String(32),
            sa.ForeignKey("warehouses.code", name=op.f("fk_transfers_to_warehouse_warehouses")),
            nullable=False,
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.String(500)),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("received_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('in_transit', 'received')", name=op.f("ck_transfers_status")),
        sa.CheckConstraint(
            "from_warehouse <> to_warehouse", name=op.f("ck_transfers_two_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    op.create_index("ix_transfers_created_at_id", "transfers", ["created_at", "id"])
    op.create_table(
        "transfer_lines",
        sa.Column(
            "transfer_id",
            sa.String(36),
            sa.ForeignKey("transfers.id", name=op.f("fk_transfer_lines_transfer_id_transfers")),
            nullable=False,
        ),
        sa.Column(
            "sku",
            sa.String(64),
            sa.ForeignKey("products.sku", name=op.f("fk_transfer_lines_sku_products")),
            nullable=False,
        ),
        sa.Column("quantity", sa.Numeric(18, 3), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_transfer_lines_quantity_positive")),
        sa.PrimaryKeyConstraint("transfer_id", "sku", name="pk_transfer_lines"),
    )


def downgrade() -> None:
    op.drop_table("transfer_lines")
    op.drop_index("ix_transfers_created_at_id", table_name="transfers")
    op.drop_table("transfers")
    op.drop_column("order_demands", "warehouse")
    op.drop_index("uq_warehouses_default", table_name="warehouses")
    op.drop_column("warehouses", "active")
    op.drop_column("warehouses", "is_default")
    op.drop_column("warehouses", "priority")
