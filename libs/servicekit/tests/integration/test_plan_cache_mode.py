"""How prepared statements plan on a service's connections (ADR 59)."""

from __future__ import annotations

from sqlalchemy import text

from servicekit.db import make_engine
from servicekit.testing import TemporaryDatabases

# Marked, so that the test finds it among the connection's prepared statements.
_STATEMENT = text("SELECT count(*) FROM generate_series(1, 50) AS n WHERE n = ANY(:ids) -- plans")
_ITS_PLANS = text(
    "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
    " WHERE statement LIKE '%-- plans'"
)


async def _plans_after_six_runs(url: str, plan_cache_mode: str) -> tuple[int, int]:
    engine = make_engine(url, pool_size=1, plan_cache_mode=plan_cache_mode)
    try:
        async with engine.connect() as connection:
            for size in range(1, 7):
                found = await connection.scalar(_STATEMENT, {"ids": list(range(size))})
                assert found == size - 1  # 0 is not in the series
            generic, custom = (await connection.execute(_ITS_PLANS)).one()
            return int(generic), int(custom)
    finally:
        await engine.dispose()


async def test_the_server_plans_a_statements_first_runs_for_their_values_by_default(
    databases: TemporaryDatabases,
) -> None:
    generic, custom = await _plans_after_six_runs(await databases.create("plans_auto"), "auto")
    assert custom >= 5  # PostgreSQL's `auto`: five custom plans before it weighs a generic one
    assert generic + custom == 6


async def test_an_engine_can_plan_each_statement_once_per_connection(
    databases: TemporaryDatabases,
) -> None:
    url = await databases.create("plans_generic")
    assert await _plans_after_six_runs(url, "force_generic_plan") == (6, 0)
