"""credit notes are documents of their own kind"""

from alembic import op

revision = "b5d7e9f1a234"
down_revision = "7b2e9c41d0a6"

KINDS = ("order_confirmation", "invoice", "quote", "einvoice")


def _kinds(*kinds: str) -> None:
    op.drop_constraint(op.f("ck_documents_kind"), "documents", type_="check")
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    op.create_check_constraint(op.f("ck_documents_kind"), "documents", f"kind IN ({listed})")


def upgrade() -> None:
    _kinds(*KINDS, "credit_note")


def downgrade() -> None:
    # Loses the credit notes' rows and their e-mails (their files stay in storage).
    op.execute(
        "DELETE FROM emails WHERE document_id IN "
        "(SELECT id FROM documents WHERE kind = 'credit_note')"
    )
    op.execute("DELETE FROM documents WHERE kind = 'credit_note'")
    _kinds(*KINDS)
