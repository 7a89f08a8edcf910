"""Alembic environment of the orders service: its own tables only."""

from orders.adapters.tables import metadata
from servicekit.migrations import run_env

run_env(metadata)
