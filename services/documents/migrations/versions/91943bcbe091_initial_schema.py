"""initial schema: documents, messaging (outbox, inbox, idempotency keys)"""

import sqlalchemy as sa
from alembic import op

from servicekit import migrations as shared

revision = "91943bcbe091"
down_revision = None


def upgrade() -> None:
    shared.create_messaging_tables()
    op.create_table('documents',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=500), nullable=False),
    sa.Column('source_event_id', sa.String(length=200), nullable=False),
    *shared.timestamp_columns(),
    sa.CheckConstraint("kind IN ('order_confirmation', 'invoice')", name=op.f('ck_documents_kind')),
    sa.CheckConstraint('size >= 0', name=op.f('ck_documents_size')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('kind', 'reference', name='uq_documents_kind_reference')
    )
    op.create_index('ix_documents_created_at', 'documents', ['created_at', 'id'], unique=False)
    op.create_index('ix_documents_order_id_created_at', 'documents', ['order_id', 'created_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_documents_order_id_created_at', table_name='documents')
    op.drop_index('ix_documents_created_at', table_name='documents')
    op.drop_table('documents')
    shared.drop_messaging_tables()
