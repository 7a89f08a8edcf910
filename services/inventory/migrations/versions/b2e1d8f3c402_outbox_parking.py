"""outbox rows refused by Kafka for good are parked with their error"""

from servicekit.migrations import add_outbox_parking, drop_outbox_parking

revision = "b2e1d8f3c402"
down_revision = "ebe77abed777"

# Alembic calls these; the shared helpers are the whole revision.
upgrade = add_outbox_parking
downgrade = drop_outbox_parking
