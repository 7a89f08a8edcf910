"""Tables of the orders service's own database (outbox, inbox and idempotency keys included)."""

from servicekit.db import new_metadata

metadata = new_metadata()
