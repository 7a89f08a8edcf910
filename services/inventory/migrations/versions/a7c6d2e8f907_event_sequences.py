"""events about an order are numbered per order (CloudEvents sequence)"""

from servicekit.sequencing import create_event_sequences_table, drop_event_sequences_table

revision = "a7c6d2e8f907"
down_revision = "b2e1d8f3c402"

# Alembic calls these; the shared helpers are the whole revision.
upgrade = create_event_sequences_table
downgrade = drop_event_sequences_table
