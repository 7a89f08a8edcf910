"""Alembic environment of the billing service: its own tables only."""

from billing.adapters.tables import metadata
from servicekit.migrations import run_env

run_env(metadata)
