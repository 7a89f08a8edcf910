"""products CSV imports processed in the background: the file, its progress and its report"""

from servicekit import migrations as shared

revision = "b4e8d2f6a913"
down_revision = "a9d3c5e7f120"


def upgrade() -> None:
    shared.create_import_jobs_table()


def downgrade() -> None:
    shared.drop_import_jobs_table()
