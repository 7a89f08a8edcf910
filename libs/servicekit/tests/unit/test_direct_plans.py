"""Which statements `servicekit.direct` runs itself, and the SQLAlchemy internals it relies on
(they are not public API: an upgrade that changes them fails here first)."""

from __future__ import annotations

import inspect
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    bindparam,
    exc,
    insert,
    literal,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql.asyncpg import (
    AsyncAdapt_asyncpg_connection,
    AsyncAdapt_asyncpg_cursor,
)
from sqlalchemy.engine.interfaces import Dialect

from servicekit.direct import DirectPlan, _arguments, plan_of

metadata = MetaData()
rows = Table(
    "rows",
    metadata,
    Column("id", String, primary_key=True),
    Column("n", Integer, nullable=False),
    Column("doc", JSONB, nullable=True),
    Column("note", String, default="python-side"),
)
DIALECT: Dialect = postgresql.asyncpg.dialect()  # type: ignore[attr-defined]


def test_a_statement_is_planned_on_its_second_sighting_per_set_of_parameter_names() -> None:
    statement = select(rows.c.id, rows.c.doc).where(rows.c.n == bindparam("n"))
    assert plan_of(statement, {"n": 1}, DIALECT) is None  # seen once: SQLAlchemy runs it
    plan = plan_of(statement, {"n": 2}, DIALECT)
    assert isinstance(plan, DirectPlan)
    assert plan.sql.endswith("WHERE rows.n = $1::INTEGER")
    assert plan.positions == ("n",)
    assert plan.keys == ("id", "doc")
    assert plan_of(statement, {"n": 3}, DIALECT) is plan


def test_inserts_follow_the_parameters_given_as_sqlalchemy_compiles_them() -> None:
    statement = insert(rows)
    given = {"id": "a", "n": 1, "note": "x"}
    plan_of(statement, given, DIALECT)
    plan = plan_of(statement, given, DIALECT)
    assert isinstance(plan, DirectPlan)
    assert plan.sql.startswith("INSERT INTO rows (id, n, note) VALUES")
    assert plan.positions == ("id", "n", "note")
    # Without `note`, its Python-side default must be computed: SQLAlchemy's work.
    assert plan_of(statement, {"id": "a", "n": 1}, DIALECT) is None


def test_in_lists_and_statement_options_stay_with_sqlalchemy() -> None:
    expanding = select(rows.c.id).where(rows.c.id.in_(bindparam("ids", expanding=True)))
    with_options = select(rows.c.id).execution_options(yield_per=10)
    for statement in (expanding, with_options):
        for _ in range(2):
            assert plan_of(statement, {"ids": ["a"]}, DIALECT) is None


def test_a_text_statement_is_planned_with_its_named_parameters_in_order() -> None:
    statement = text("SELECT :b + :a AS total, :a AS again")
    plan_of(statement, {"a": 1, "b": 2}, DIALECT)
    plan = plan_of(statement, {"a": 1, "b": 2}, DIALECT)
    assert isinstance(plan, DirectPlan)
    assert plan.sql == "SELECT $1 + $2 AS total, $2 AS again"
    assert plan.positions == ("b", "a")


def _planned(statement: Any, params: dict[str, Any]) -> DirectPlan:
    plan_of(statement, params, DIALECT)
    plan = plan_of(statement, params, DIALECT)
    assert isinstance(plan, DirectPlan)
    return plan


def _as_sqlalchemy_builds_them(plan: DirectPlan, params: dict[str, Any]) -> list[Any]:
    # As SQLAlchemy's execution context builds a positional statement's arguments.
    values = plan.compiled.construct_params(params, escape_names=False)
    return [
        values[name] if bind is None else bind(values[name])
        for name, bind in zip(plan.positions, plan.binds, strict=True)
    ]


def test_arguments_come_from_where_sqlalchemy_takes_them() -> None:
    spaced = Column("a note", String)  # a name SQLAlchemy escapes in its bind names
    table = Table("spaced", MetaData(), Column("id", String), spaced)
    statement = (
        select(rows.c.id, literal(7, Integer).label("seven"), literal_column("1"))
        .where(
            rows.c.n == bindparam("n"),
            rows.c.id == bindparam("id"),
            rows.c.note == bindparam("id"),  # one parameter in two places
            rows.c.doc == bindparam("doc", type_=JSONB),
            rows.c.n > bindparam("floor", 0),  # its own value unless given
            rows.c.id.in_(select(table.c.id).where(table.c["a note"] == bindparam("a note"))),
        )
        .params(n=5)  # the statement's own value, under the caller's
    )
    for given in (
        {"id": "a", "doc": {"k": [1, 2]}, "a note": "x"},
        {"id": "b", "doc": None, "a note": "y", "n": 9, "floor": 3},
    ):
        plan = _planned(statement, given)
        assert plan.sources is not None
        assert _arguments(plan, given) == _as_sqlalchemy_builds_them(plan, given)
    assert _arguments(plan, given)[plan.positions.index("n")] == 9


def test_values_worked_out_per_call_or_missing_are_left_to_sqlalchemy() -> None:
    calls = iter(range(100))
    computed = select(rows.c.id).where(
        rows.c.n == bindparam("n", callable_=lambda: next(calls), type_=Integer)
    )
    plan = _planned(computed, {})
    assert plan.sources is None
    assert _arguments(plan, {}) != _arguments(plan, {})  # a new value each time, as SQLAlchemy's
    missing = select(rows.c.id).where(rows.c.n == bindparam("n"), rows.c.id == bindparam("id"))
    plan = _planned(missing, {"n": 1})
    assert plan.sources is None
    with pytest.raises(exc.InvalidRequestError, match="'id'"):
        _arguments(plan, {"n": 1})


def test_the_sqlalchemy_internals_used_are_there() -> None:
    # The adapter's cursor coroutine that begins the transaction, prepares through the
    # connection's statement cache and translates errors; its rows and schema-cache stamp.
    assert inspect.iscoroutinefunction(AsyncAdapt_asyncpg_cursor._prepare_and_execute)
    assert "_invalidate_schema_cache_asof" in AsyncAdapt_asyncpg_cursor.__slots__
    assert "_transaction" in AsyncAdapt_asyncpg_connection.__slots__
    assert hasattr(DIALECT, "_invalidate_schema_cache_asof")
    # The compiled statement's positional names, bind processors and result columns.
    compiled = select(rows.c.doc).where(rows.c.id == bindparam("id")).compile(dialect=DIALECT)
    assert compiled.positiontup == ["id"]
    assert set(compiled._bind_processors) <= {"id"}
    (column,) = compiled._result_columns
    assert column.keyname == "doc"
    assert column.type._cached_result_processor(DIALECT, 3802) is None  # asyncpg decodes JSONB
    as_float = Numeric(asdecimal=False)._cached_result_processor(DIALECT, 1700)  # NUMERIC's OID
    assert as_float is not None
    assert as_float(Decimal("1.5")) == 1.5
    assert isinstance(compiled.bind_names, dict)
    assert isinstance(compiled.escaped_bind_names, dict)
    assert isinstance(compiled._collect_params, bool)
    for attribute in (
        "insert_prefetch",
        "update_prefetch",
        "implicit_returning",
        "literal_execute_params",
        "post_compile_params",
        "for_executemany",
    ):
        assert hasattr(compiled, attribute), attribute
