"""Outbox rows refused by Kafka for good are parked, as every service's next migration does."""

from servicekit.migrations import add_outbox_parking, drop_outbox_parking

revision = "0002"
down_revision = "0001"

upgrade = add_outbox_parking
downgrade = drop_outbox_parking
