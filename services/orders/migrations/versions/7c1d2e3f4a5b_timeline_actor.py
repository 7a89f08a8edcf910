"""timeline entries name their actor"""

import sqlalchemy as sa
from alembic import op

revision = "7c1d2e3f4a5b"
down_revision = "665fafb9ec61"


def upgrade() -> None:
    op.add_column("order_timeline", sa.Column("actor", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column("order_timeline", "actor")
