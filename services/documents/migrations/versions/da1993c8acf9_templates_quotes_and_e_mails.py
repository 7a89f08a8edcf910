"""templates, quotes and e-mails: document templates, quotation documents, the e-mail outbox"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from servicekit import migrations as shared

revision = "da1993c8acf9"
down_revision = "91943bcbe091"


def upgrade() -> None:
    # Quotations: documents of a quote (no order); the template and language they were printed in.
    op.add_column('documents', sa.Column('quote_id', sa.String(length=200), nullable=True))
    op.add_column('documents', sa.Column('template_id', sa.String(length=200), nullable=True))
    op.add_column('documents', sa.Column('language', sa.String(length=35), nullable=True))
    op.alter_column('documents', 'order_id',
               existing_type=sa.VARCHAR(length=200),
               nullable=True)
    op.drop_constraint(op.f('ck_documents_kind'), 'documents', type_='check')
    op.create_check_constraint(
        op.f('ck_documents_kind'), 'documents', "kind IN ('order_confirmation', 'invoice', 'quote')"
    )
    op.create_check_constraint(
        op.f('ck_documents_owner'),
        'documents',
        "CASE WHEN kind = 'quote' THEN quote_id IS NOT NULL AND order_id IS NULL "
        "ELSE order_id IS NOT NULL AND quote_id IS NULL END",
    )
    op.create_index('ix_documents_quote_id_created_at', 'documents', ['quote_id', 'created_at', 'id'], unique=False, postgresql_where=sa.text('quote_id IS NOT NULL'))

    op.create_table('templates',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('letterhead_image', sa.LargeBinary(), nullable=True),
    sa.Column('letterhead_content_type', sa.String(length=50), nullable=True),
    sa.Column('letterhead_width', sa.Integer(), nullable=True),
    sa.Column('letterhead_height', sa.Integer(), nullable=True),
    sa.Column('footer_text', sa.String(length=500), nullable=True),
    sa.Column('primary_color', sa.String(length=7), nullable=True),
    sa.Column('accent_color', sa.String(length=7), nullable=True),
    sa.Column('default_opening_text', sa.Text(), nullable=True),
    sa.Column('default_closing_text', sa.Text(), nullable=True),
    sa.Column('company_name', sa.String(length=200), nullable=True),
    sa.Column('company_address', sa.String(length=1000), nullable=True),
    sa.Column('company_email', sa.String(length=200), nullable=True),
    sa.Column('company_phone', sa.String(length=100), nullable=True),
    sa.Column('company_website', sa.String(length=200), nullable=True),
    sa.Column('company_vat_id', sa.String(length=100), nullable=True),
    sa.Column('company_bank_details', sa.String(length=1000), nullable=True),
    sa.Column('is_default', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    *shared.timestamp_columns(),
    sa.CheckConstraint('(letterhead_image IS NULL) = (letterhead_content_type IS NULL)', name=op.f('ck_templates_letterhead')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_templates')),
    sa.UniqueConstraint('name', name='uq_templates_name')
    )
    op.create_index('ix_templates_created_at', 'templates', ['created_at', 'id'], unique=False)
    # At most one default template.
    op.create_index('uq_templates_default', 'templates', ['is_default'], unique=True, postgresql_where=sa.text('is_default'))

    # The e-mail outbox: requests to e-mail a document, their attempts and outcome.
    op.create_table('emails',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('document_id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.String(length=200), nullable=True),
    sa.Column('quote_id', sa.String(length=200), nullable=True),
    sa.Column('recipients', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('cc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('requested_by', sa.String(length=200), nullable=True),
    sa.Column('correlation_id', sa.String(length=200), nullable=True),
    *shared.timestamp_columns(),
    sa.CheckConstraint("status <> 'queued' OR next_attempt_at IS NOT NULL", name=op.f('ck_emails_queued_when')),
    sa.CheckConstraint("status IN ('queued', 'sent', 'failed')", name=op.f('ck_emails_status')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_emails_attempts')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_emails_document_id_documents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_emails'))
    )
    op.create_index('ix_emails_created_at', 'emails', ['created_at', 'id'], unique=False)
    op.create_index('ix_emails_document_id_created_at', 'emails', ['document_id', 'created_at', 'id'], unique=False)
    # The sender's claim: queued e-mails by due time.
    op.create_index('ix_emails_due', 'emails', ['next_attempt_at', 'id'], unique=False, postgresql_where=sa.text("status = 'queued'"))


def downgrade() -> None:
    # Loses the e-mails, the templates and the quotations' rows (their files stay in storage).
    op.drop_index('ix_emails_due', table_name='emails', postgresql_where=sa.text("status = 'queued'"))
    op.drop_index('ix_emails_document_id_created_at', table_name='emails')
    op.drop_index('ix_emails_created_at', table_name='emails')
    op.drop_table('emails')
    op.drop_index('uq_templates_default', table_name='templates', postgresql_where=sa.text('is_default'))
    op.drop_index('ix_templates_created_at', table_name='templates')
    op.drop_table('templates')

    op.execute("DELETE FROM documents WHERE kind = 'quote'")
    op.drop_index('ix_documents_quote_id_created_at', table_name='documents', postgresql_where=sa.text('quote_id IS NOT NULL'))
    op.drop_constraint(op.f('ck_documents_owner'), 'documents', type_='check')
    op.drop_constraint(op.f('ck_documents_kind'), 'documents', type_='check')
    op.create_check_constraint(
        op.f('ck_documents_kind'), 'documents', "kind IN ('order_confirmation', 'invoice')"
    )
    op.alter_column('documents', 'order_id',
               existing_type=sa.VARCHAR(length=200),
               nullable=False)
    op.drop_column('documents', 'language')
    op.drop_column('documents', 'template_id')
    op.drop_column('documents', 'quote_id')
