"""timeline entries name their actor

Revision ID: 7c1d2e3f4a5b
Revises: 665fafb9ec61
Create Date: 2026-11-23 13:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c1d2e3f4a5b"
down_revision: str | None = "665fafb9ec61"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("order_timeline", sa.Column("actor", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column("order_timeline", "actor")
