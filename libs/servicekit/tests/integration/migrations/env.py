"""Alembic environment of a database with only the messaging tables (servicekit's tests)."""

from servicekit.db import new_metadata
from servicekit.migrations import run_env

run_env(new_metadata())
