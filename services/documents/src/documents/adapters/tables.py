"""Tables of the documents service's own database (outbox, inbox and idempotency keys included).

`emails` is the e-mail outbox: a request to e-mail a document commits there, and the sender
delivers it later (`entrypoints/sender.py`).
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from servicekit.db import new_metadata

metadata = new_metadata()

# Which kinds of document exist, and whose each one is: a quotation is a quote's, a purchase
# order's PDF a purchase order's, every other document an order's.
KINDS = "kind IN ('order_confirmation', 'invoice', 'quote', 'purchase_order', 'delivery_note')"
OWNER = (
    "CASE WHEN kind = 'quote' THEN quote_id IS NOT NULL AND order_id IS NULL "
    "AND purchase_order_id IS NULL "
    "WHEN kind = 'purchase_order' THEN purchase_order_id IS NOT NULL AND order_id IS NULL "
    "AND quote_id IS NULL "
    "ELSE order_id IS NOT NULL AND quote_id IS NULL AND purchase_order_id IS NULL END"
)

documents = Table(
    "documents",
    metadata,
    Column("id", Uuid, primary_key=True),  # uuid5 of (order or quote id, kind, reference)
    Column("order_id", String(200), nullable=True),  # null for quotations
    Column("kind", String(32), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("storage_key", String(500), nullable=False),
    Column("source_event_id", String(200), nullable=False),
    Column("quote_id", String(200), nullable=True),  # set for quotations only
    Column("template_id", String(200), nullable=True),  # the template asked for, if any
    Column("language", String(35), nullable=True),  # of the printed labels; null: English
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("kind", "reference", name="uq_documents_kind_reference"),
    Column("purchase_order_id", String(200), nullable=True),  # set for purchase orders only
    CheckConstraint(KINDS, name="kind"),
    CheckConstraint(OWNER, name="owner"),
    CheckConstraint("size >= 0", name="size"),
    Index("ix_documents_order_id_created_at", "order_id", "created_at", "id"),
    Index(
        "ix_documents_quote_id_created_at",
        "quote_id",
        "created_at",
        "id",
        postgresql_where=text("quote_id IS NOT NULL"),
    ),
    Index("ix_documents_created_at", "created_at", "id"),
    Index(
        "ix_documents_purchase_order_id_created_at",
        "purchase_order_id",
        "created_at",
        "id",
        postgresql_where=text("purchase_order_id IS NOT NULL"),
    ),
)

# The orders as their last confirmation described them, kept for the delivery notes of their
# shipments (`suite.shipment.dispatched.v1` names the order and the SKUs only).
order_snapshots = Table(
    "order_snapshots",
    metadata,
    Column("order_id", String(200), primary_key=True),
    Column("snapshot", JSONB, nullable=False),  # contracts' OrderSnapshot as JSON
    Column("sequence", BigInteger, nullable=True),  # the per-order sequence of its event
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

templates = Table(
    "templates",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("language", String(35), nullable=False),  # BCP 47
    Column("letterhead_image", LargeBinary, nullable=True),  # a verified PNG or JPEG, <= 1 MiB
    Column("letterhead_content_type", String(50), nullable=True),
    Column("letterhead_width", Integer, nullable=True),
    Column("letterhead_height", Integer, nullable=True),
    Column("footer_text", String(500), nullable=True),
    Column("primary_color", String(7), nullable=True),
    Column("accent_color", String(7), nullable=True),
    Column("default_opening_text", Text, nullable=True),
    Column("default_closing_text", Text, nullable=True),
    Column("company_name", String(200), nullable=True),
    Column("company_address", String(1000), nullable=True),
    Column("company_email", String(200), nullable=True),
    Column("company_phone", String(100), nullable=True),
    Column("company_website", String(200), nullable=True),
    Column("company_vat_id", String(100), nullable=True),
    Column("company_bank_details", String(1000), nullable=True),
    Column("is_default", Boolean, nullable=False, server_default=false()),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("name", name="uq_templates_name"),
    CheckConstraint(
        "(letterhead_image IS NULL) = (letterhead_content_type IS NULL)", name="letterhead"
    ),
    # At most one default template.
    Index("uq_templates_default", "is_default", unique=True, postgresql_where=text("is_default")),
    Index("ix_templates_created_at", "created_at", "id"),
)

emails = Table(
    "emails",
    metadata,
    Column("id", Uuid, primary_key=True),
    # No document: a notification of an order's milestone (its event type) to the owner.
    Column("document_id", Uuid, ForeignKey("documents.id"), nullable=True),
    Column("milestone", String(200), nullable=True),
    Column("order_id", String(200), nullable=True),
    Column("quote_id", String(200), nullable=True),
    Column("purchase_order_id", String(200), nullable=True),
    Column("recipients", JSONB, nullable=False),  # the To addresses
    Column("cc", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("subject", String(200), nullable=False),
    Column("message", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Column("last_attempt_at", DateTime(timezone=True), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("requested_by", String(200), nullable=True),
    Column("correlation_id", String(200), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("status IN ('queued', 'sent', 'failed')", name="status"),
    CheckConstraint("attempts >= 0", name="attempts"),
    CheckConstraint(
        "document_id IS NOT NULL OR milestone IS NOT NULL", name="document_or_milestone"
    ),
    CheckConstraint("status <> 'queued' OR next_attempt_at IS NOT NULL", name="queued_when"),
    # The sender's claim: queued e-mails by due time.
    Index(
        "ix_emails_due",
        "next_attempt_at",
        "id",
        postgresql_where=text("status = 'queued'"),
    ),
    Index("ix_emails_document_id_created_at", "document_id", "created_at", "id"),
    Index("ix_emails_created_at", "created_at", "id"),
)

# Each user's address for milestone notifications and the milestones they opted out of.
notification_preferences = Table(
    "notification_preferences",
    metadata,
    Column("user_id", String(200), primary_key=True),
    Column("email", String(200), nullable=True),
    Column("opted_out", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("language", String(8), nullable=True),  # of the e-mails (None: English)
)
