"""files attached to orders, quotes and customers"""

import sqlalchemy as sa
from alembic import op

revision = "e6b1f3c8d204"
down_revision = "e9b1c7d3f5a2"


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("subject", sa.String(length=10), nullable=False),
        sa.Column("subject_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "subject IN ('order', 'quote', 'customer')", name=op.f("ck_attachments_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index(
        "ix_attachments_subject", "attachments", ["subject", "subject_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_attachments_subject", table_name="attachments")
    op.drop_table("attachments")
