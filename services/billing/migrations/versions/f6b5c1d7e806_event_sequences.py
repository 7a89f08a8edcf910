"""events about an order are numbered per order (CloudEvents sequence)"""

from servicekit.sequencing import create_event_sequences_table, drop_event_sequences_table

revision = "f6b5c1d7e806"
down_revision = "c3d2e9a4d503"

# Alembic calls these; the shared helpers are the whole revision.
upgrade = create_event_sequences_table
downgrade = drop_event_sequences_table
