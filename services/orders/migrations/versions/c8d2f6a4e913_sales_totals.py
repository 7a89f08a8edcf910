"""the sales gauges' all-time totals kept as they change, not summed over all history (ADR 49)

Triggers on `sales_intake` and `sales_revenue` append each row's change of a total to
`sales_total_changes`; the gauges' refresh folds those into `sales_totals`. The totals are seeded
here from the rows already there, after the triggers are created: creating a trigger locks its
table against writes until this migration commits, so no write falls between the seed and the
triggers.
"""

import sqlalchemy as sa
from alembic import op

revision = "c8d2f6a4e913"
down_revision = "f3b9d1e5a726"

MONEY = sa.Numeric(20, 4)


def upgrade() -> None:
    op.create_table(
        "sales_totals",
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("measure", sa.String(16), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.PrimaryKeyConstraint("currency", "measure", name=op.f("pk_sales_totals")),
    )
    op.create_table(
        "sales_total_changes",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("measure", sa.String(16), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_total_changes")),
    )
    # An order's intake counts while it is not cancelled; an update records only the difference
    # (both sides when the currency changed).
    op.execute(
        """
        CREATE FUNCTION sales_intake_total_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            before numeric := 0;
            after numeric := 0;
        BEGIN
            IF TG_OP <> 'INSERT' AND NOT OLD.cancelled THEN
                before := OLD.net;
            END IF;
            IF TG_OP <> 'DELETE' AND NOT NEW.cancelled THEN
                after := NEW.net;
            END IF;
            IF TG_OP = 'UPDATE' AND OLD.currency <> NEW.currency THEN
                INSERT INTO sales_total_changes (currency, measure, amount)
                VALUES (OLD.currency, 'intake_net', -before), (NEW.currency, 'intake_net', after);
            ELSIF after <> before THEN
                INSERT INTO sales_total_changes (currency, measure, amount)
                VALUES (COALESCE(NEW.currency, OLD.currency), 'intake_net', after - before);
            END IF;
            RETURN NULL;
        END $$
        """
    )
    # Revenue is every row's net (a credit note's is negative); credited, a credit note's −net.
    op.execute(
        """
        CREATE FUNCTION sales_revenue_total_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                INSERT INTO sales_total_changes (currency, measure, amount)
                VALUES (OLD.currency, 'revenue_net', -OLD.net);
                IF OLD.kind = 'credit_note' THEN
                    INSERT INTO sales_total_changes (currency, measure, amount)
                    VALUES (OLD.currency, 'credited_net', OLD.net);
                END IF;
            END IF;
            IF TG_OP <> 'DELETE' THEN
                INSERT INTO sales_total_changes (currency, measure, amount)
                VALUES (NEW.currency, 'revenue_net', NEW.net);
                IF NEW.kind = 'credit_note' THEN
                    INSERT INTO sales_total_changes (currency, measure, amount)
                    VALUES (NEW.currency, 'credited_net', -NEW.net);
                END IF;
            END IF;
            RETURN NULL;
        END $$
        """
    )
    for table in ("sales_intake", "sales_revenue"):
        function = f"{table}_total_changed"
        op.execute(
            f"CREATE TRIGGER {table}_total_added AFTER INSERT OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()"
        )
    op.execute(
        "CREATE TRIGGER sales_intake_total_updated AFTER UPDATE ON sales_intake FOR EACH ROW "
        "WHEN (OLD.net IS DISTINCT FROM NEW.net OR OLD.cancelled IS DISTINCT FROM NEW.cancelled "
        "OR OLD.currency IS DISTINCT FROM NEW.currency) "
        "EXECUTE FUNCTION sales_intake_total_changed()"
    )
    op.execute(
        "CREATE TRIGGER sales_revenue_total_updated AFTER UPDATE ON sales_revenue FOR EACH ROW "
        "WHEN (OLD.net IS DISTINCT FROM NEW.net OR OLD.kind IS DISTINCT FROM NEW.kind "
        "OR OLD.currency IS DISTINCT FROM NEW.currency) "
        "EXECUTE FUNCTION sales_revenue_total_changed()"
    )
    op.execute(
        """
        INSERT INTO sales_totals (currency, measure, amount)
        SELECT currency, 'intake_net', sum(net) FROM sales_intake WHERE NOT cancelled
        GROUP BY currency
        UNION ALL
        SELECT currency, 'revenue_net', sum(net) FROM sales_revenue GROUP BY currency
        UNION ALL
        SELECT currency, 'credited_net', COALESCE(sum(-net) FILTER (WHERE kind = 'credit_note'), 0)
        FROM sales_revenue GROUP BY currency
        """
    )


def downgrade() -> None:
    for table in ("sales_intake", "sales_revenue"):
        op.execute(f"DROP TRIGGER {table}_total_updated ON {table}")
        op.execute(f"DROP TRIGGER {table}_total_added ON {table}")
        op.execute(f"DROP FUNCTION {table}_total_changed()")
    op.drop_table("sales_total_changes")
    op.drop_table("sales_totals")
