"""a customer's contact people"""

import sqlalchemy as sa
from alembic import op

revision = "d3a9e5b7c102"
down_revision = "b7e2c4d9f011"


def upgrade() -> None:
    op.create_table(
        "customer_contacts",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("customer_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("position", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_contacts_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_contacts")),
    )
    op.create_index(
        "ix_customer_contacts_customer_id", "customer_contacts", ["customer_id", "name", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_customer_contacts_customer_id", table_name="customer_contacts")
    op.drop_table("customer_contacts")
