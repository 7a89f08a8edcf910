"""Alembic environment of the documents service: its own tables only."""

from documents.adapters.tables import metadata
from servicekit.migrations import run_env

run_env(metadata)
