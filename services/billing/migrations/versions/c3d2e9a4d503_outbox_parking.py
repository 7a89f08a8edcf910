"""outbox rows refused by Kafka for good are parked with their error"""

from servicekit.migrations import add_outbox_parking, drop_outbox_parking

revision = "c3d2e9a4d503"
down_revision = "14ea2ee67b02"

# Alembic calls these; the shared helpers are the whole revision.
upgrade = add_outbox_parking
downgrade = drop_outbox_parking
