"""outbox rows refused by Kafka for good are parked with their error"""

from servicekit.migrations import add_outbox_parking, drop_outbox_parking

revision = "a1f0c7e2b301"
down_revision = "0d7915570fe2"

# Alembic calls these; the shared helpers are the whole revision.
upgrade = add_outbox_parking
downgrade = drop_outbox_parking
