"""the sales gauges' totals follow a TRUNCATE of the read model's tables too (ADR 49)

Row triggers do not fire on `TRUNCATE`: a statement trigger on each table sets its measures'
totals to zero and drops their changes not yet folded. The changes go first: a fold that took
some of them before the truncation then commits its totals before they are set to zero, and
one that starts after it finds none of them.
"""

from alembic import op

revision = "d4e7a1c9b352"
down_revision = "c8d2f6a4e913"

MEASURES = {
    "sales_intake": ("intake_net",),
    "sales_revenue": ("revenue_net", "credited_net"),
}


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION sales_totals_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM sales_total_changes WHERE measure = ANY (TG_ARGV);
            UPDATE sales_totals SET amount = 0 WHERE measure = ANY (TG_ARGV);
            RETURN NULL;
        END $$
        """
    )
    for table, measures in MEASURES.items():
        arguments = ", ".join(f"'{measure}'" for measure in measures)
        op.execute(
            f"CREATE TRIGGER {table}_totals_truncated AFTER TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION sales_totals_truncated({arguments})"
        )


def downgrade() -> None:
    for table in MEASURES:
        op.execute(f"DROP TRIGGER {table}_totals_truncated ON {table}")
    op.execute("DROP FUNCTION sales_totals_truncated()")
