"""customer owners: billing's view of who owns each customer (from orders' customer events)"""

import sqlalchemy as sa
from alembic import op

revision = "b5d7e9f1a3c4"
down_revision = "e8c4b2a61d37"


def upgrade() -> None:
    op.create_table(
        "customer_owners",
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("team", sa.String(length=200), nullable=True),
        sa.Column("sequence", sa.BigInteger(), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_owners")),
    )
    op.create_index("ix_customer_owners_owner", "customer_owners", ["owner"], unique=False)
    op.create_index("ix_customer_owners_team", "customer_owners", ["team"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_customer_owners_team", table_name="customer_owners")
    op.drop_index("ix_customer_owners_owner", table_name="customer_owners")
    op.drop_table("customer_owners")
