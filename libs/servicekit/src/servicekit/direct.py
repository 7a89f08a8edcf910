"""Statements built once, run on the session's asyncpg connection without SQLAlchemy's
per-execution layer (ADR 51).

`AsyncSession.execute` costs ~110 µs of CPU per statement on top of asyncpg's own ~65 µs: a
greenlet spawned for the call, the ORM session's dispatch, the statement's cache key walked
again, an execution context and a cursor result. A service runs ~50 statements per order, most
of them module constants (`functools.cache`, built once). `DirectSession.execute` runs such a
statement, from its second execution on, the way SQLAlchemy would send it: the SQL its own
compiler made, the parameters through the same bind processors, the rows through the same
result processors, on the connection, transaction and prepared-statement cache of the
session's asyncpg adapter, and errors raised as SQLAlchemy's. Anything else (a statement seen
once, an IN list expanded per call, Python-side column defaults, options, several parameter
sets, an engine with statement listeners) goes to `AsyncSession.execute` unchanged.

In a transaction that pipelines (`pipeline`, a consumer's batch), `execute_one_later` queues
a statement that returns one row with what to do with it: the queued statements are sent when
the session next runs anything, or at commit (`flush_pipeline`, which `run_at_commit` calls),
and consecutive runs of one SQL go to the server in one round trip (asyncpg's `fetchmany`):
one message out, one answer back, instead of one exchange per statement. Their order is kept.

The adapter's coroutines it calls (`_prepare_and_execute`, `_prepare`) and the compiled statement's
positional parameters and result columns are SQLAlchemy's internals: `tests/unit/
test_direct_plans.py` pins them, and the whole suite runs on this session.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import exc
from sqlalchemy.engine import Dialect, Result, Row
from sqlalchemy.engine.result import IteratorResult, SimpleResultMetaData
from sqlalchemy.event import listens_for
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, AsyncSessionTransaction
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql import Delete, Insert, Select, TextClause, Update
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import CompoundSelect, TextualSelect
from sqlalchemy.util import EMPTY_DICT, is_exit_exception

_DIRECT_KINDS = (Select, Insert, Update, Delete, TextClause, TextualSelect, CompoundSelect)
_HELD = "servicekit.direct.connection"
_PIPELINE = "servicekit.direct.pipeline"

Processor = Callable[[Any], Any] | None


@dataclass(slots=True)
class DirectPlan:
    """One statement compiled for one set of parameter names: what `execute` needs per call."""

    compiled: SQLCompiler
    sql: str
    positions: tuple[str, ...]  # the parameters' names in $1, $2… order
    binds: tuple[Processor, ...]  # their bind processors, in the same order
    keys: tuple[str, ...]  # the result's columns (empty: the statement returns no rows)
    # Where each position's value comes from (`_sources`), or None: `construct_params` decides.
    sources: tuple[_Source, ...] | None = None
    # Their result processors, which depend on the types the server describes: learnt from the
    # first execution's description, as SQLAlchemy keeps a compiled statement's result metadata.
    results: tuple[Processor, ...] | None = None
    described: bool = False

    def learn(self, description: Sequence[Sequence[Any]] | None, dialect: Dialect) -> None:
        if description is not None and len(description) == len(self.keys):
            columns = self.compiled._result_columns
            results = tuple(
                column.type._cached_result_processor(dialect, described[1])
                for column, described in zip(columns, description, strict=True)
            )
            self.results = results if any(results) else None
        self.described = True


# A position's value: the caller's parameter of that name, else (name None) a value the
# statement itself holds; and its bind processor.
_Source = tuple[str | None, Any, "Processor"]


class _Unsupported:
    """A statement (for these parameter names) SQLAlchemy keeps running."""


_UNSUPPORTED = _Unsupported()


@dataclass(slots=True)
class _Queued:
    """A statement waiting in a pipelining transaction, and what takes its one row."""

    plan: DirectPlan
    args: list[Any]
    then: Callable[[Row[Any]], object]


@dataclass(slots=True)
class _Pipeline:
    queued: list[_Queued] = field(default_factory=list)


_Plans = dict[frozenset[str], DirectPlan | _Unsupported]

# Statement → its plans by parameter names; absent: never seen, an empty dict: seen once. A
# statement built per call is seen once and dropped with it.
_plans: weakref.WeakKeyDictionary[Any, _Plans] = weakref.WeakKeyDictionary()


def plan_of(statement: Any, params: Mapping[str, Any], dialect: Dialect) -> DirectPlan | None:
    """The statement's plan for these parameter names, or None when SQLAlchemy runs it."""
    if not isinstance(statement, _DIRECT_KINDS) or statement._execution_options:
        return None
    known = _plans.get(statement)
    if known is None:
        _plans[statement] = {}
        return None
    names = frozenset(params)
    plan = known.get(names)
    if plan is None:
        plan = known[names] = _compile(statement, names, dialect)
    return plan if isinstance(plan, DirectPlan) else None


def _compile(statement: Any, names: frozenset[str], dialect: Dialect) -> DirectPlan | _Unsupported:
    # As `Connection.execute` compiles it: INSERT and UPDATE columns follow the parameters given.
    compiled = statement.compile(dialect=dialect, column_keys=sorted(names))
    if not isinstance(compiled, SQLCompiler) or _needs_sqlalchemy(compiled):
        return _UNSUPPORTED
    positions = tuple(compiled.positiontup or ())
    processors = compiled._bind_processors
    binds = tuple(_single(processors.get(name)) for name in positions)
    if any(bind is _UNSUPPORTED for bind in binds):
        return _UNSUPPORTED
    columns = compiled._result_columns
    keys = tuple(column.keyname for column in columns)
    if len(set(keys)) != len(keys):
        return _UNSUPPORTED  # SQLAlchemy resolves duplicate names by column; this would not
    processors_in_order = cast(tuple[Processor, ...], binds)  # _UNSUPPORTED ruled out above
    return DirectPlan(
        compiled=compiled,
        sql=compiled.string,
        positions=positions,
        binds=processors_in_order,
        keys=keys,
        sources=_sources(compiled, names, positions, processors_in_order),
    )


def _sources(
    compiled: SQLCompiler,
    names: frozenset[str],
    positions: tuple[str, ...],
    binds: tuple[Processor, ...],
) -> tuple[_Source, ...] | None:
    """Where each position's value comes from, decided once for parameters named `names`, as
    `construct_params` decides it on every call: a bind parameter takes the caller's value by
    its key, else by its compiled name (the statement's own `params()` under the caller's),
    else the value it was built with. None when a value must be worked out per call (a
    callable) or a required one is missing (`construct_params` raises it, as callers know)."""
    collected: Mapping[str, Any] = compiled._collected_params if compiled._collect_params else {}
    found: dict[str, tuple[str | None, Any]] = {}
    for bindparam, name in compiled.bind_names.items():
        for wanted in (bindparam.key, name):
            if wanted in names:
                source: tuple[str | None, Any] = (wanted, None)
                break
            if wanted in collected:
                source = (None, collected[wanted])
                break
        else:
            if bindparam.required or bindparam.callable:
                return None
            source = (None, bindparam.value)
        found[name] = source  # the last one wins, as in `construct_params`
    if set(positions) - found.keys():
        return None
    return tuple((*found[position], bind) for position, bind in zip(positions, binds, strict=True))


def _needs_sqlalchemy(compiled: SQLCompiler) -> bool:
    """What only SQLAlchemy's execution context does: values computed in Python before the
    statement (column defaults), parameters expanded or rendered per call (IN lists), a RETURNING
    it adds itself, a statement that is not one string."""
    return bool(
        compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.implicit_returning
        or compiled.literal_execute_params
        or compiled.post_compile_params
        or (compiled.positiontup is None and compiled.bind_names)
        or compiled.for_executemany
    )


def _single(processor: Any) -> Processor | _Unsupported:
    """A bind processor, or unsupported for a tuple type's several."""
    if processor is None or callable(processor):
        return cast(Processor, processor)
    return _UNSUPPORTED


class DirectResult(IteratorResult[Any]):
    """The rows of a direct statement with SQLAlchemy's `Result` API, and the rowcount the
    server reported."""

    def __init__(self, keys: Sequence[str], rows: Sequence[Any], rowcount: int) -> None:
        super().__init__(SimpleResultMetaData(keys), iter(rows))
        self.rowcount = rowcount


class DirectSession(AsyncSession):
    """An `AsyncSession` whose `execute` runs statements built once directly (module doc).

    It also begins and closes without a greenlet when that cannot touch the database: `begin()`
    only makes the ORM's transaction object (the connection and its `BEGIN` come with the first
    statement), and closing a session whose transaction has ended has no connection to give
    back. `AsyncSession` runs each in a greenlet, and its `async with` exit in a task of its
    own, ~70–100 µs of CPU per transaction together (docs/performance.md, thirty-fifth round).
    """

    def begin(self) -> AsyncSessionTransaction:
        return _BegunAtOnce(self)

    async def close(self) -> None:
        if self.sync_session.in_transaction():
            await super().close()  # a connection to give back: SQLAlchemy's way
        else:
            self.sync_session.close()  # forgets its objects: no I/O, nothing to wait for

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        if self.sync_session.in_transaction():
            # SQLAlchemy's: closed in a task of its own, which a cancellation cannot cut short.
            await super().__aexit__(type_, value, traceback)
        else:
            self.sync_session.close()

    async def execute(
        self,
        statement: Any,
        params: Any = None,
        *,
        execution_options: Any = EMPTY_DICT,
        bind_arguments: Any = None,
        **kw: Any,
    ) -> Result[Any]:
        if params is None:
            params = EMPTY_DICT
        await self.flush_pipeline()  # what was queued ran before this, as it was asked
        plan = None
        if not (execution_options or bind_arguments or kw) and isinstance(params, Mapping):
            plan = self._plan(statement, params)
        if plan is None:
            return await self._by_sqlalchemy(
                statement,
                params,
                execution_options=execution_options,
                bind_arguments=bind_arguments,
                **kw,
            )
        try:
            args = _arguments(plan, params)
        except exc.SQLAlchemyError:
            # A missing parameter: SQLAlchemy raises it the way callers know.
            return await self._by_sqlalchemy(statement, params)
        return await self._run(plan, args, statement, params)

    async def execute_one_later(
        self, statement: Any, params: Mapping[str, Any], then: Callable[[Row[Any]], object]
    ) -> None:
        """Run `statement`, which returns exactly one row, and call `then` with that row: now,
        or, in a pipelining transaction, with the next statements of its SQL in one round trip
        (module doc). `then` runs no statement: it only takes the row."""
        pipeline = self.info.get(_PIPELINE)
        plan = None
        if pipeline is not None and not self.sync_session.in_nested_transaction():
            plan = self._plan(statement, params)
        if pipeline is None or plan is None or not plan.described:
            then((await self.execute(statement, params)).one())
            return
        try:
            args = _arguments(plan, params)
        except exc.SQLAlchemyError:
            then((await self.execute(statement, params)).one())  # raised as callers know it
            return
        pipeline.queued.append(_Queued(plan, args, then))

    async def flush_pipeline(self) -> None:
        """Send what is queued, each run of one SQL in one round trip, and hand each its row."""
        pipeline = self.info.get(_PIPELINE)
        while pipeline is not None and pipeline.queued:
            plan = pipeline.queued[0].plan
            count = 1
            while count < len(pipeline.queued) and pipeline.queued[count].plan is plan:
                count += 1
            run, pipeline.queued[:count] = pipeline.queued[:count], []
            rows = await self._run_many(plan, [queued.args for queued in run])
            for queued, row in zip(run, rows, strict=True):
                queued.then(row)

    async def _run_many(self, plan: DirectPlan, many: list[list[Any]]) -> Sequence[Row[Any]]:
        connection, adapted = await self._connection_of_transaction()
        dialect = connection.dialect
        try:
            async with adapted._execute_mutex:
                # As the adapter's cursor does for one statement: the transaction begun if this
                # is its first exchange, the statement prepared (or taken from the adapter's
                # cache, prepared again after a DDL change), then run once per argument list.
                if adapted._transaction is None:
                    await adapted._start_transaction()
                prepared, _ = await adapted._prepare(
                    plan.sql, getattr(dialect, "_invalidate_schema_cache_asof", 0)
                )
                try:
                    records = await prepared.fetchmany(many)
                except Exception as error:
                    adapted._handle_exception(error)  # raises it as the DBAPI's error
        except dialect.loaded_dbapi.Error as error:
            gone = adapted._connection.is_closed()
            if gone:  # not given back to the pool: as SQLAlchemy does on a disconnect
                sync = connection.sync_connection
                assert sync is not None
                sync.invalidate(error)
            raise exc.DBAPIError.instance(
                plan.sql,
                many,
                error,
                dialect.loaded_dbapi.Error,
                hide_parameters=connection.sync_engine.hide_parameters,
                connection_invalidated=gone,
                dialect=dialect,
            ) from error
        except BaseException as error:
            if is_exit_exception(error):
                sync = connection.sync_connection
                assert sync is not None
                sync.invalidate(error)  # interrupted mid-exchange: as `_run` does
            raise
        if len(records) != len(many):
            raise RuntimeError(
                f"{len(many)} statements queued to return a row each returned {len(records)} rows"
            )
        rows: Sequence[Any] = records
        if plan.results is not None:
            rows = [_processed(row, plan.results) for row in rows]
        return DirectResult(plan.keys, rows, len(rows)).all()

    def _plan(self, statement: Any, params: Mapping[str, Any]) -> DirectPlan | None:
        """The statement's plan, unless SQLAlchemy runs it: listeners of the engine's statements
        (a test's, a tracer's) see them through SQLAlchemy."""
        bind = self.sync_session.get_bind()
        if _watched(bind) or _watched(bind.engine):
            return None
        return plan_of(statement, params, bind.dialect)

    async def _by_sqlalchemy(self, statement: Any, params: Any, **options: Any) -> Result[Any]:
        result: Result[Any] = await super().execute(statement, params, **options)
        return result

    async def _run(
        self, plan: DirectPlan, args: list[Any], statement: Any, params: Mapping[str, Any]
    ) -> Result[Any]:
        connection, adapted = await self._connection_of_transaction()
        cursor = adapted.cursor()
        # As SQLAlchemy's execution context does: prepared statements older than a DDL change
        # of this process are prepared again.
        cursor._invalidate_schema_cache_asof = getattr(
            connection.dialect, "_invalidate_schema_cache_asof", 0
        )
        try:
            await cursor._prepare_and_execute(plan.sql, args)
        except connection.dialect.loaded_dbapi.Error as error:
            if adapted._connection.is_closed():
                # Gone: SQLAlchemy's own execution fails on it too, and invalidates the
                # connection and the pool as it does for every disconnect.
                return await self._by_sqlalchemy(statement, params)
            raise exc.DBAPIError.instance(
                plan.sql,
                args,
                error,
                connection.dialect.loaded_dbapi.Error,
                hide_parameters=connection.sync_engine.hide_parameters,
                dialect=connection.dialect,
            ) from error
        except BaseException as error:
            if is_exit_exception(error):
                # Interrupted mid-statement (a cancelled task): what the connection was doing is
                # unknown, so it is invalidated (closed), as SQLAlchemy does on such exceptions.
                sync = connection.sync_connection
                assert sync is not None
                sync.invalidate(error)
            raise
        description = cursor.description
        if not plan.described:
            plan.learn(description, connection.dialect)
        rows: Sequence[Any] = cursor._rows if description is not None else ()
        keys = plan.keys
        if rows and len(keys) != len(rows[0]):
            keys = tuple(column[0] for column in description)  # a text() statement
        elif plan.results is not None:
            rows = [_processed(row, plan.results) for row in rows]
        return DirectResult(keys, rows, cursor.rowcount)

    async def _connection_of_transaction(self) -> tuple[AsyncConnection, Any]:
        """The session's connection and its asyncpg adapter, looked up once per transaction and
        once per savepoint: SQLAlchemy sends a savepoint's `SAVEPOINT` when the savepoint first
        asks for the connection, so a savepoint whose statements all ran directly would
        otherwise never be set, and rolling it back would undo nothing."""
        sync_session = self.sync_session
        current = sync_session.get_nested_transaction() or sync_session.get_transaction()
        held = self.info.get(_HELD)
        if held is not None and held[0] is current is not None and current.is_active:
            return held[1], held[2]
        connection = await self.connection()  # begins the transaction or sets the savepoint
        sync = connection.sync_connection
        assert sync is not None  # an AsyncConnection the session began
        adapted = sync.connection.dbapi_connection
        current = sync_session.get_nested_transaction() or sync_session.get_transaction()
        self.info[_HELD] = (current, connection, adapted)
        return connection, adapted


def pipeline(session: AsyncSession) -> None:
    """Let `session`'s transaction queue statements (`execute_one_later`) until it next runs
    one or commits. A session of another class keeps running each at once."""
    if isinstance(session, DirectSession):
        session.info[_PIPELINE] = _Pipeline()


async def execute_one_later(
    session: AsyncSession,
    statement: Any,
    params: Mapping[str, Any],
    then: Callable[[Row[Any]], object],
) -> None:
    """`DirectSession.execute_one_later`, or at once on another session."""
    if isinstance(session, DirectSession):
        await session.execute_one_later(statement, params, then)
    else:
        then((await session.execute(statement, params)).one())


async def flush_pipeline(session: AsyncSession) -> None:
    """Send what `session`'s pipeline holds (`DirectSession.flush_pipeline`), if it has one."""
    if isinstance(session, DirectSession):
        await session.flush_pipeline()


def end_pipeline(session: Session) -> None:
    """The transaction is over: its session runs each statement at once again."""
    session.info.pop(_PIPELINE, None)


def pipeline_queued(session: Session) -> int:
    """How many statements wait in `session`'s pipeline (a sync `Session`: its events see it)."""
    pipeline = session.info.get(_PIPELINE)
    return 0 if pipeline is None else len(pipeline.queued)


@listens_for(Session, "do_orm_execute")
def _refuse_overtaking(state: ORMExecuteState) -> None:
    """A statement run past `DirectSession.execute` (`scalar`, `get`, …) would overtake those
    queued before it: refused, loudly, rather than run out of order."""
    _refuse_if_queued(state.session, "a statement")


@listens_for(Session, "before_flush")
def _refuse_flush_overtaking(session: Session, *_: Any) -> None:
    _refuse_if_queued(session, "an ORM flush")


def _refuse_if_queued(session: Session, what: str) -> None:
    if queued := pipeline_queued(session):
        raise RuntimeError(
            f"{what} would overtake {queued} statements queued in the transaction's pipeline: "
            "run it with `execute`, which sends them first"
        )


class _BegunAtOnce(AsyncSessionTransaction):
    """`AsyncSessionTransaction` whose start makes the session's transaction without a greenlet:
    `Session.begin()` does no I/O (no `after_transaction_create` listener of the suite does)."""

    async def start(self, is_ctxmanager: bool = False) -> AsyncSessionTransaction:
        if self.nested:
            return await super().start(is_ctxmanager)  # a SAVEPOINT: a statement to send
        self.sync_transaction = self._assign_proxied(self.session.sync_session.begin())
        if is_ctxmanager:
            self.sync_transaction.__enter__()
        return self


# The engine events that see statements; others (an engine's isolation level) do not matter here.
_STATEMENT_EVENTS = (
    "before_execute",
    "after_execute",
    "before_cursor_execute",
    "after_cursor_execute",
)


def _watched(bind: Any) -> bool:
    dispatch = bind.dispatch
    return bind._has_events and any(getattr(dispatch, name) for name in _STATEMENT_EVENTS)


def _arguments(plan: DirectPlan, params: Mapping[str, Any]) -> list[Any]:
    """The statement's positional arguments, processed for the driver. With its sources known
    (almost every plan) the values are taken straight from `params`: `construct_params` walks
    every bind parameter of the statement, ~0.3 µs each, on every call."""
    sources = plan.sources
    if sources is not None:
        return [
            (params[key] if key is not None else value)
            if bind is None
            else bind(params[key] if key is not None else value)
            for key, value, bind in sources
        ]
    # Named as the positions are: SQLAlchemy's own positional execution does not escape them.
    values = plan.compiled.construct_params(params, escape_names=False)
    return [
        value if bind is None else bind(value)
        for value, bind in zip((values[name] for name in plan.positions), plan.binds, strict=True)
    ]


def _processed(row: Any, results: tuple[Processor, ...]) -> tuple[Any, ...]:
    return tuple(
        value if process is None else process(value)
        for value, process in zip(row, results, strict=True)
    )
