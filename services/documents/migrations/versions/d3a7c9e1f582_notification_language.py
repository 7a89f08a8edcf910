"""notification language: the language of a user's milestone e-mails (null: English)

Backwards compatible: a new nullable column.
"""

import sqlalchemy as sa
from alembic import op

revision = "d3a7c9e1f582"
down_revision = "e7b4d2a9c611"


def upgrade() -> None:
    op.add_column(
        "notification_preferences", sa.Column("language", sa.String(8), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("notification_preferences", "language")
