"""price lists per customer or customer group: currency, validity, quantity breaks"""

import sqlalchemy as sa
from alembic import op

from servicekit.columns import MONEY, PERCENT, QUANTITY

revision = "c4e7a1b9d503"
down_revision = "b8d3e6f1a402"


def upgrade() -> None:
    op.create_table(
        "price_lists",
        sa.Column("id", sa.Uuid(as_uuid=False), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("customer_id", sa.Uuid(as_uuid=False), sa.ForeignKey("customers.id")),
        sa.Column("customer_group", sa.String(50)),
        sa.Column("valid_from", sa.Date),
        sa.Column("valid_to", sa.Date),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(customer_id IS NULL) <> (customer_group IS NULL)", name=op.f("ck_price_lists_one_target")
        ),
    )
    op.create_index("ix_price_lists_customer", "price_lists", ["customer_id", "currency"])
    op.create_index("ix_price_lists_group", "price_lists", ["customer_group", "currency"])
    op.create_index("ix_price_lists_created_at_id", "price_lists", ["created_at", "id"])
    op.create_table(
        "price_list_entries",
        sa.Column(
            "price_list_id",
            sa.Uuid(as_uuid=False),
            sa.ForeignKey("price_lists.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("min_quantity", QUANTITY, nullable=False),
        sa.Column("unit_price", MONEY),
        sa.Column("discount_percent", PERCENT),
        sa.PrimaryKeyConstraint("price_list_id", "sku", "min_quantity", name="pk_price_list_entries"),
        sa.CheckConstraint(
            "(unit_price IS NULL) <> (discount_percent IS NULL)",
            name=op.f("ck_price_list_entries_one_price"),
        ),
    )


def downgrade() -> None:
    op.drop_table("price_list_entries")
    op.drop_table("price_lists")
