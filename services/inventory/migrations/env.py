"""Alembic environment of the inventory service: its own tables only."""

from inventory.adapters.tables import metadata
from servicekit.migrations import run_env

run_env(metadata)
