"""shipments in the order they were made, from an index"""

# GET /shipments without an order sorted every shipment for each page (11 ms in the server at
# 67,000 shipments, growing with the shop's history); with the index it reads the page.

from alembic import op

revision = "d8a4f1c7e903"
down_revision = "c6f2a9e4b815"


def upgrade() -> None:
    # Built in the migration's transaction, as the retention indexes were (ADR 50): shipments
    # wait for the build, a sort of two columns, seconds at millions of rows.
    op.create_index("ix_shipments_created_at_id", "shipments", ["created_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_shipments_created_at_id", table_name="shipments")
