"""What other systems call our records: CSV imports are idempotent by external reference."""

import sqlalchemy as sa
from alembic import op

revision = "5b7e2c9d1a40"
down_revision = "181451fb1b1b"


def upgrade() -> None:
    op.create_table(
        "external_references",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("entity_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("kind", "reference", name=op.f("pk_external_references")),
    )
    op.create_index(
        "ix_external_references_entity", "external_references", ["kind", "entity_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_external_references_entity", table_name="external_references")
    op.drop_table("external_references")
