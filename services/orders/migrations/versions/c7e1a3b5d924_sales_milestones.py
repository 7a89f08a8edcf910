"""the sales read model's milestones: when each order was first confirmed, shipped, invoiced, paid"""

import sqlalchemy as sa
from alembic import op

revision = "c7e1a3b5d924"
down_revision = "b8d2f4a6c913"


def upgrade() -> None:
    op.create_table(
        "sales_milestones",
        sa.Column("order_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True)),
        sa.Column("shipped_at", sa.DateTime(timezone=True)),
        sa.Column("invoiced_at", sa.DateTime(timezone=True)),
        sa.Column("paid_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_sales_milestones")),
    )


def downgrade() -> None:
    op.drop_table("sales_milestones")
