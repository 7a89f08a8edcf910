"""background imports remember who started them: team and visibility, to run as that person"""

import sqlalchemy as sa
from alembic import op

revision = "b8d3f6a2c915"
down_revision = "f1c5a2d8e604"


def upgrade() -> None:
    op.add_column("import_jobs", sa.Column("created_by_team", sa.String(length=200), nullable=True))
    op.add_column("import_jobs", sa.Column("visibility", sa.String(length=10), nullable=True))


def downgrade() -> None:
    op.drop_column("import_jobs", "visibility")
    op.drop_column("import_jobs", "created_by_team")
