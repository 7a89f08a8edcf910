"""owners and teams of customers, quotes and orders; customer groups; customers' tax id,
archive and update time; customer timelines"""

import sqlalchemy as sa
from alembic import op

revision = "b7e2c4d9f011"
down_revision = "c8d4e1f2a3b6"

OWNED = ("customers", "quotes", "orders")


def upgrade() -> None:
    op.create_table(
        "customer_groups",
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_customer_groups")),
    )
    for table in OWNED:
        op.add_column(table, sa.Column("owner", sa.String(length=200), nullable=True))
        op.add_column(table, sa.Column("team", sa.String(length=200), nullable=True))
        op.create_index(f"ix_{table}_owner", table, ["owner"])
        op.create_index(f"ix_{table}_team", table, ["team"])
    op.add_column("customers", sa.Column("group_code", sa.String(length=50), nullable=True))
    op.add_column("customers", sa.Column("tax_id", sa.String(length=50), nullable=True))
    op.add_column("customers", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("customers", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key(
        op.f("fk_customers_group_code_customer_groups"),
        "customers",
        "customer_groups",
        ["group_code"],
        ["code"],
    )
    op.create_index("ix_customers_group_code", "customers", ["group_code"])
    op.create_index("ix_customers_tax_id", "customers", ["tax_id"])
    op.add_column(
        "order_timeline", sa.Column("customer_id", sa.Uuid(as_uuid=False), nullable=True)
    )
    op.create_foreign_key(
        op.f("fk_order_timeline_customer_id_customers"),
        "order_timeline",
        "customers",
        ["customer_id"],
        ["id"],
    )
    op.create_index(
        "ix_order_timeline_customer_id_occurred_at",
        "order_timeline",
        ["customer_id", "occurred_at", "id"],
    )
    op.drop_constraint(op.f("ck_order_timeline_one_subject"), "order_timeline", type_="check")
    op.create_check_constraint(
        op.f("ck_order_timeline_one_subject_of_three"),
        "order_timeline",
        "num_nonnulls(order_id, quote_id, customer_id) = 1",
    )


def downgrade() -> None:
    op.execute("DELETE FROM order_timeline WHERE customer_id IS NOT NULL")
    op.drop_constraint(
        op.f("ck_order_timeline_one_subject_of_three"), "order_timeline", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_order_timeline_one_subject"),
        "order_timeline",
        "(order_id IS NULL) <> (quote_id IS NULL)",
    )
    op.drop_index("ix_order_timeline_customer_id_occurred_at", table_name="order_timeline")
    op.drop_constraint(
        op.f("fk_order_timeline_customer_id_customers"), "order_timeline", type_="foreignkey"
    )
    op.drop_column("order_timeline", "customer_id")
    op.drop_index("ix_customers_tax_id", table_name="customers")
    op.drop_index("ix_customers_group_code", table_name="customers")
    op.drop_constraint(
        op.f("fk_customers_group_code_customer_groups"), "customers", type_="foreignkey"
    )
    for column in ("updated_at", "archived_at", "tax_id", "group_code"):
        op.drop_column("customers", column)
    for table in OWNED:
        op.drop_index(f"ix_{table}_team", table_name=table)
        op.drop_index(f"ix_{table}_owner", table_name=table)
        op.drop_column(table, "team")
        op.drop_column(table, "owner")
    op.drop_table("customer_groups")
