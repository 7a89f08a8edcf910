"""the sales read model keeps each sent quote and its outcome (quote conversion)

Quotes decided before this revision have no `quote.accepted`/`quote.rejected`/`quote.converted`
event on the topic: their row is filled here from the quotes table (a rebuild can only replay
what the topic holds).
"""

import sqlalchemy as sa
from alembic import op

revision = "f3b9d1e5a726"
down_revision = "e2c6a8f4b157"


def upgrade() -> None:
    op.create_table(
        "sales_quotes",
        sa.Column("quote_id", sa.Uuid(as_uuid=False), primary_key=True),
        sa.Column("number", sa.String(32)),
        sa.Column("customer_id", sa.Uuid(as_uuid=False)),
        sa.Column("currency", sa.String(3)),
        sa.Column("quote_date", sa.Date()),
        sa.Column("valid_until", sa.Date()),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("accepted_at", sa.DateTime(timezone=True)),
        sa.Column("rejected_at", sa.DateTime(timezone=True)),
        sa.Column("converted_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        """
        INSERT INTO sales_quotes (quote_id, number, customer_id, currency, quote_date,
                                  valid_until, sent_at, accepted_at, rejected_at, converted_at)
        SELECT q.id, q.number, q.customer_id, q.currency, q.quote_date, q.valid_until, q.sent_at,
               CASE WHEN q.status = 'accepted' THEN q.decided_at END,
               CASE WHEN q.status = 'rejected' THEN q.decided_at END,
               (SELECT min(o.created_at) FROM orders o WHERE o.quote_id = q.id)
        FROM quotes q
        WHERE q.sent_at IS NOT NULL
        """
    )


def downgrade() -> None:
    op.drop_table("sales_quotes")
