"""overdue invoices and dunning: the daily collection runs and the steps each invoice reached"""

import sqlalchemy as sa
from alembic import op

revision = "b7e3d5a2c019"
down_revision = "b7e1a3c90d21"


def upgrade() -> None:
    op.create_table(
        "collection_runs",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("overdue", sa.Integer(), nullable=False),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column(
            "ran_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_collection_runs")),
    )
    op.create_table(
        "collection_steps",
        sa.Column("invoice_id", sa.String(length=36), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("reached_on", sa.Date(), nullable=False),
        sa.Column("days_past_due", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_collection_steps_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("invoice_id", "step", name=op.f("pk_collection_steps")),
    )


def downgrade() -> None:
    op.drop_table("collection_steps")
    op.drop_table("collection_runs")
