"""e-mails without a document: an order owner's milestone notification; users' preferences"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "a7c2e9f4b1d6"
down_revision = "d4c3fab5e604"


def upgrade() -> None:
    op.add_column("emails", sa.Column("milestone", sa.String(length=200), nullable=True))
    op.alter_column("emails", "document_id", existing_type=sa.Uuid(), nullable=True)
    op.create_check_constraint(
        op.f("ck_emails_document_or_milestone"),
        "emails",
        "document_id IS NOT NULL OR milestone IS NOT NULL",
    )
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column(
            "opted_out",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_preferences")),
    )


def downgrade() -> None:
    op.drop_table("notification_preferences")
    op.drop_constraint(op.f("ck_emails_document_or_milestone"), "emails", type_="check")
    op.execute("DELETE FROM emails WHERE document_id IS NULL")
    op.alter_column("emails", "document_id", existing_type=sa.Uuid(), nullable=False)
    op.drop_column("emails", "milestone")
