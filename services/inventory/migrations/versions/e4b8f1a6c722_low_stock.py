"""stock levels remember since when they are below the product's reorder point (stock.low)"""

import sqlalchemy as sa
from alembic import op

revision = "e4b8f1a6c722"
down_revision = "d7a2e9c4b311"


def upgrade() -> None:
    op.add_column("stock_levels", sa.Column("low_since", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("stock_levels", "low_since")
