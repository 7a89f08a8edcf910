"""outbox rows refused by Kafka for good are parked with their error"""

from servicekit.migrations import add_outbox_parking, drop_outbox_parking

revision = "d4c3fab5e604"
down_revision = "da1993c8acf9"

# Alembic calls these; the shared helpers are the whole revision.
upgrade = add_outbox_parking
downgrade = drop_outbox_parking
