"""The messaging tables, as every service's initial migration creates them."""

from servicekit.migrations import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None

upgrade = create_messaging_tables
downgrade = drop_messaging_tables
