"""SQL made on every request or message, compiled once per connection: SELECTs
(`CompiledQuery`) and the INSERT of one new row (`insert`).

Django compiles a QuerySet to SQL each time it runs. For the small SELECTs that processing one
stored message makes (lock and re-check its row, the Message-ID link, the sender with their
organisation) each took 0.5-1.9 ms of CPU, most of it compiling; 0.1-0.4 ms from the kept SQL
(issue 17). The API's bearer-token and named-customer look-ups use it too (`api/tokens.py`,
`api/tickets.py`); it sits with the desk-wide helpers, under every app that uses it.
A `CompiledQuery` builds its QuerySet once, with stand-in values for its parameters, keeps the
SQL and the compiler, and runs the SQL again with the real values. Rows come back as the ORM
would give them: through the compiler's converters, as tuples (`values_list`) or as model
instances (`from_db`, `select_related` foreign keys populated). The converters, the columns'
attribute names and the related populators are worked out once too: the ORM does it on every
run, about 5 % of the instructions of an API intake, which makes two such reads (issue 17).
Statements still go through the connection's cursor: query counting, execute wrappers and
transactions see them as any other.

`insert(instance)` is `instance.save(force_insert=True)` for the desk's plain models (no parent
model, no database default): the same values (each field's `pre_save` and `get_db_prep_save`),
the same `pre_save` and `post_save` signals, the primary key read back, from an INSERT built
once per model and connection. Through the ORM an INSERT spent 0.15-0.25 ms of CPU building
and compiling its query; an intake makes six (issue 17). `prepare_insert` works out an INSERT's
values ahead, to be run later (`PreparedInsert.write`): an intake's rows, before the
transaction that holds SQLite's write lock; `insert` and `insert_rows` are it, run at once.
"""

from __future__ import annotations

import json
import threading
from asyncio import _get_running_loop  # the running loop or None, without raising
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, partial
from typing import Any, TypeVar

from asgiref.local import Local
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, router, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import NOT_PROVIDED, Field, Model, QuerySet
from django.db.models.constants import OnConflict
from django.db.models.query import (  # type: ignore[attr-defined]  # Django internal, no stub: how ModelIterable fills select_related
    ModelIterable,
    get_related_populators,
)
from django.db.models.signals import post_init, post_save, pre_init, pre_save
from django.db.models.sql.compiler import SQLCompiler

#: A field's attribute name, the types of value bound plain, and their conversion (None: bound
#: as they are), in `_Statement.plain`.
_Plain = tuple[str, frozenset[type], Callable[[Any], Any] | None]

#: Stand-ins by parameter type: values no real parameter takes, found again in the compiled
#: parameters by equality.
_STAND_INS: dict[type, Callable[[int], Any]] = {
    int: lambda n: -7_000_000_007 - n,
    str: lambda n: f"\x00compiled-query-parameter-{n}\x00",
}


@dataclass(frozen=True)
class _Compiled:
    compiler: SQLCompiler
    sql: str
    params: tuple[Any, ...]
    positions: dict[str, int]  # parameter name -> its index in `params`
    converters: dict[int, Any]  # the compiler's, by column: what `results_iter` works out each time
    building: _Building | None  # how rows become model instances (None: tuples)


@dataclass(frozen=True)
class _Building:
    """What `ModelIterable` works out on each run to make model instances of rows, kept: the
    model, its columns' slice of the row and their attribute names, the `select_related`
    populators (which keep no state between rows or runs)."""

    model: type[Model]
    start: int
    end: int
    init_list: list[str]
    populators: list[Any]

    @cached_property
    def load(self) -> Callable[[str, list[str], Sequence[Any]], Model]:
        """`model.from_db`, or, where the row has every column in the model's order and the model
        keeps Django's `from_db`, the same instance made without `Model.__init__`'s work per
        field (as `new_row`: an intake reads two people this way)."""
        model, meta = self.model, self.model._meta
        own = getattr(model.from_db, "__func__", None) is not getattr(Model.from_db, "__func__", None)
        if own or self.init_list != [field.attname for field in meta.concrete_fields]:
            return model.from_db
        return partial(_loaded, model)

    @classmethod
    def of(cls, compiler: SQLCompiler, using: str) -> _Building:
        klass_info, select = compiler.klass_info, compiler.select
        assert klass_info is not None  # noqa: S101 - a model query has one
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, using)
        return cls(klass_info["model"], start, end, init_list, populators)


class CompiledQuery:
    """`build(**parameters)` -> a QuerySet (model instances or `values_list`), compiled once per
    database connection; `parameters` names each parameter's type (int or str). Each parameter
    must reach the SQL unchanged, as exactly one placeholder (an equality filter does)."""

    def __init__(self, build: Callable[..., QuerySet[Any, Any]], **parameters: type) -> None:
        self._build = build
        self._parameters = parameters
        self._local = threading.local()  # Django's connections are per thread: so are compilers

    def rows(self, using: str = "default", **values: Any) -> list[Any]:
        """Run the query with `values` for its parameters: model instances or tuples."""
        compiled = self._compiled(using)
        params = list(compiled.params)
        for name, position in compiled.positions.items():
            params[position] = values[name]
        compiler = compiled.compiler
        with statement_cursor(compiler.connection) as cursor:
            cursor.execute(compiled.sql, params)
            fetched = fetch_all(cursor)
        rows: list[Any] = (
            [tuple(row) for row in compiler.apply_converters(fetched, compiled.converters)]
            if compiled.converters
            else fetched  # the cursor's tuples as they are
        )
        building = compiled.building
        if building is None:
            return rows
        instances = []
        load = building.load
        for row in rows:
            instance = load(using, building.init_list, row[building.start : building.end])
            for populator in building.populators:
                populator.populate(row, instance)
            instances.append(instance)
        return instances

    def first(self, using: str = "default", **values: Any) -> Any:
        """The first row, or None."""
        rows = self.rows(using, **values)
        return rows[0] if rows else None

    def _compiled(self, using: str) -> _Compiled:
        cache: dict[tuple[str, int], _Compiled] = self._local.__dict__.setdefault("compiled", {})
        connection = connection_of(using)
        key = (using, id(connection))
        compiled = cache.get(key)
        if compiled is None:
            stand_ins = {name: _STAND_INS[kind](n) for n, (name, kind) in enumerate(self._parameters.items())}
            queryset = self._build(**stand_ins)
            compiler = queryset.query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            positions = {}
            for name, stand_in in stand_ins.items():
                found = [i for i, param in enumerate(params) if param == stand_in]
                if len(found) != 1:
                    raise ValueError(f"parameter {name} is not one placeholder of the compiled query")
                positions[name] = found[0]
            fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
            if compiler.has_composite_fields(fields):
                raise ValueError("a compiled query does not read composite primary keys")
            converters = compiler.get_converters(fields)
            models = queryset._iterable_class is ModelIterable  # else values_list's tuples
            building = _Building.of(compiler, using) if models else None
            compiled = _Compiled(compiler, sql, tuple(params), positions, converters, building)
            cache[key] = compiled
        return compiled


@dataclass(frozen=True)
class _Statement:
    """An INSERT or UPDATE kept per model and database: its SQL and the fields it binds, in order."""

    sql: str
    fields: tuple[Field[Any, Any], ...]
    #: For each of `fields`, where it is plain on the statement's database (`_plain`): its
    #: attribute name, the types of value bound as they are or through its conversion, and that
    #: conversion (None: as they are); else None.
    plain: tuple[_Plain | None, ...]
    computed: tuple[Field[Any, Any], ...] = ()  # read back after the primary key
    #: Which of `fields` are foreign keys: where, and the name their row is cached under.
    relations: tuple[tuple[int, str], ...] = ()

    @classmethod
    def of(
        cls,
        sql: str,
        fields: tuple[Field[Any, Any], ...],
        connection: Any,
        computed: tuple[Field[Any, Any], ...] = (),
    ) -> _Statement:
        """The statement, with which of its fields are plain on `connection`'s database."""
        plain = tuple(_plain(field, connection) for field in fields)
        relations = tuple((n, field.cache_name) for n, field in enumerate(fields) if field.is_relation)  # type: ignore[attr-defined]  # a relation's, no stub
        return cls(sql, fields, plain, computed, relations)

    def index(self, name: str) -> int:
        """Where the field named `name` is among `fields`."""
        found = self._positions.get(name)
        if found is None:
            raise TypeError(f"the statement binds no field {name!r}")
        return found

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {field.name: n for n, field in enumerate(self.fields)}

    @cached_property
    def _related(self) -> tuple[tuple[Any, str], ...] | None:
        """The foreign keys the ORM checks before a save, with the name their row is cached
        under; None where its check covers more than the statement binds (a relation it does
        not bind, a generic foreign key): the ORM's check then."""
        meta: Any = self.fields[0].model._meta
        mine = [field for field in self.fields if field.is_relation]
        if meta.private_fields or any(
            field.is_relation and field not in mine for field in meta.concrete_fields
        ):
            return None
        return tuple((field, field.cache_name) for field in mine)  # type: ignore[attr-defined]  # a relation's, no stub

    def ready_related(self, instance: Model, operation: str) -> None:
        """`instance._prepare_related_fields_for_save(operation_name=operation)`, the ORM's check
        before a save that no related row is unsaved, and its taking of a key saved since, for
        the statement's foreign keys only: the ORM's looks at every field, a third of the work
        of preparing an intake's rows (issue 17)."""
        related = self._related
        if related is None:
            instance._prepare_related_fields_for_save(operation_name=operation)  # type: ignore[attr-defined]  # Django's, no stub
            return
        cached = instance._state.fields_cache
        for field, cache_name in related:
            parent = cached.get(cache_name)
            if parent is None:
                continue
            if not parent._is_pk_set():
                if not field.remote_field.multiple:
                    field.remote_field.delete_cached_value(parent)
                raise ValueError(
                    f"{operation}() prohibited to prevent data loss due to unsaved related object "
                    f"'{field.name}'."
                )
            if getattr(instance, field.attname) in field.empty_values:
                setattr(instance, field.name, parent)  # saved since it was assigned
            if getattr(parent, field.target_field.attname) != getattr(instance, field.attname):
                field.delete_cached_value(instance)

    def value(self, index: int, instance: Model, connection: Any) -> Any:
        """The value the field at `index` binds for a new `instance` (as `values`)."""
        plain = self.plain[index]
        if plain is not None and (value := _known(plain, instance)) is not _AS_DJANGO_DOES:
            return value
        field = self.fields[index]
        return field.get_db_prep_save(field.pre_save(instance, True), connection)

    def values(self, instance: Model, add: bool, connection: Any) -> list[Any]:
        """The values `fields` bind for `instance`, as a save computes them (each field's
        `pre_save`, then `get_db_prep_save`), without those calls where the value is plain or
        its conversion is known (issue 17: an API intake's time under SQLite's write lock 0.95
        of what it was; its instructions 0.97 with the conversions)."""
        values = []
        for field, plain in zip(self.fields, self.plain, strict=True):
            if plain is not None:  # `_known`, inline: a call per field was 1 % of an intake
                value = getattr(instance, plain[0])
                if value.__class__ in plain[1]:
                    adapt = plain[2]
                    if adapt is None:
                        values.append(value)
                        continue
                    value = adapt(value)
                    if value is not _AS_DJANGO_DOES:
                        values.append(value)
                        continue
            values.append(field.get_db_prep_save(field.pre_save(instance, add), connection))
        return values


_TEXT: frozenset[type] = frozenset({str, type(None)})
_INTEGER: frozenset[type] = frozenset({int, type(None)})
_BOOLEAN: frozenset[type] = frozenset({bool, type(None)})
#: Field classes (exactly these, not subclasses) whose `pre_save` reads the attribute and whose
#: `get_db_prep_save` gives back a value of these types (exactly) unchanged. Integer fields only
#: where the database takes Python's int as it is (PostgreSQL's wraps it in its column's type).
_PLAIN_FIELDS: dict[type, frozenset[type]] = {
    models.CharField: _TEXT, models.TextField: _TEXT, models.BooleanField: _BOOLEAN,
    models.AutoField: _INTEGER, models.BigAutoField: _INTEGER, models.SmallAutoField: _INTEGER,
}  # fmt: skip
_INTEGER_FIELDS = (
    models.IntegerField, models.BigIntegerField, models.SmallIntegerField, models.PositiveIntegerField,
    models.PositiveBigIntegerField, models.PositiveSmallIntegerField,
)  # fmt: skip


def _plain(field: Field[Any, Any], connection: Any) -> _Plain | None:
    """`field`'s attribute name, plain types and their conversion, if it is plain on
    `connection`'s database (a foreign key is when the field it points at is)."""
    target = (
        field.target_field
        if isinstance(field, models.ForeignKey) and type(field) is models.ForeignKey
        else field
    )
    types = _PLAIN_FIELDS.get(type(target))
    if types is None and type(target) in _INTEGER_FIELDS:
        adapted = connection.ops.adapt_integerfield_value(1, target.get_internal_type())
        types = _INTEGER if adapted.__class__ is int else None
    if types is not None:
        return (field.attname, types, None)
    converted = _CONVERTED.get(type(target))
    return None if converted is None else converted(field.attname, target, connection)


#: What a conversion gives back where Django's own must decide (`_Statement.values`).
_AS_DJANGO_DOES: Any = object()


def _known(plain: _Plain, instance: Model) -> Any:
    """The value `instance` binds for a plain field (`_plain`): as it is, or through the field's
    known conversion; `_AS_DJANGO_DOES` where its type is not one of them (a save computes it)."""
    value = getattr(instance, plain[0])
    if value.__class__ not in plain[1]:
        return _AS_DJANGO_DOES
    adapt = plain[2]
    return value if adapt is None else adapt(value)


def instant_binder(connection: Any) -> Callable[[datetime | None], Any]:
    """How `connection` binds a datetime, as its `ops.adapt_datetimefield_value` does; on SQLite
    an aware UTC datetime (the desk stores no other) without the calls (a new ticket binds 22)."""
    adapt = connection.ops.adapt_datetimefield_value
    if not _utc_text_on(connection):
        return adapt  # type: ignore[no-any-return]  # Django's, no stub

    def bind(value: datetime | None) -> Any:
        text = _utc_text(value)
        return adapt(value) if text is _AS_DJANGO_DOES else text

    return bind


def _utc_text_on(connection: Any) -> bool:
    """SQLite stores datetimes as text in the connection's zone: UTC's is the value as it is.
    (INSERTs are kept per database vendor, `_inserts`: the desk's databases name no TIME_ZONE of
    their own, so every connection's zone is UTC.)"""
    return bool(settings.USE_TZ) and connection.vendor == "sqlite" and connection.timezone is UTC


#: The instant `_utc_text` wrote last, and its text: an intake binds the same `now` a dozen times,
#: and writing one out took 1.5 microseconds (issue 17).
_last_instant: tuple[datetime, str] = (datetime(1970, 1, 1, tzinfo=UTC), "1970-01-01 00:00:00")


def _utc_text(value: datetime | None) -> Any:
    """SQLite's `adapt_datetimefield_value(value)` for an aware UTC `value` (`str` of it, naive:
    its ISO form without the "+00:00"); _AS_DJANGO_DOES for any other."""
    global _last_instant
    if value is None:
        return None
    if value.tzinfo is not UTC:
        return _AS_DJANGO_DOES
    last = _last_instant
    if value == last[0]:  # the same instant in UTC: the same fields, the same text
        return last[1]
    text = value.isoformat(" ")[:-6]
    _last_instant = (value, text)
    return text


def _instants(attname: str, field: Any, connection: Any) -> _Plain | None:
    if field.auto_now or field.auto_now_add or not _utc_text_on(connection):
        return None  # `pre_save` sets the value; or not SQLite's text in UTC
    return (attname, _INSTANTS, _utc_text)


def _json(attname: str, field: Any, connection: Any) -> _Plain | None:
    """A JSONField on a database that binds JSON as Django's base operations do (its text)."""
    if type(connection.ops).adapt_json_value is not BaseDatabaseOperations.adapt_json_value:
        return None  # PostgreSQL's wraps it
    encoder = field.encoder

    def text(value: Any) -> Any:
        return None if value is None else json.dumps(value, cls=encoder)

    return (attname, _JSON, text)


_INSTANTS: frozenset[type] = frozenset({datetime, type(None)})
_JSON: frozenset[type] = frozenset({dict, list, type(None)})
#: Field classes (exactly these) whose `get_db_prep_save` of a value of the types named is known:
#: (attribute name, field, connection) -> what `_plain` gives, or None where it is not known there.
_CONVERTED: dict[type, Callable[[str, Any, Any], _Plain | None]] = {
    models.DateTimeField: _instants,
    models.JSONField: _json,
}


M = TypeVar("M", bound=Model)


def _keeps_sync_threads_in_a_thread_local() -> type | None:
    """The class of asgiref's thread-critical `Local` (where Django keeps each thread's database
    connections) when it keeps a thread without a running event loop's values as attributes of a
    `threading.local` named `_storage`, as asgiref 3.8 to 3.13 do; else None."""
    probe = Local(thread_critical=True)
    try:
        storage = object.__getattribute__(probe, "_storage")
    except AttributeError:
        return None
    return type(probe) if isinstance(storage, threading.local) else None


_THREAD_CRITICAL_LOCAL = _keeps_sync_threads_in_a_thread_local()


def connection_of(alias: str = DEFAULT_DB_ALIAS) -> Any:
    """`connections[alias]`: this thread's connection, read where asgiref keeps it in a thread
    with no running event loop (the web workers, the worker, the mail processors), else through
    `connections`. `connections[...]` and `django.db.connection` (a proxy to it) fail an
    attribute look-up and make and drop an error for "no running event loop" on every use: two
    exceptions each, about 60 in an API intake (issue 17). The same object by construction:
    `Local` reads that same `threading.local` when `asyncio.get_running_loop()` raises, which it
    does exactly when `_get_running_loop()` is None (tests/test_compiled_queries.py compares the
    two in the main thread, in a new thread, with a connection shared into a thread and inside a
    running event loop)."""
    local = connections._connections  # type: ignore[attr-defined]  # Django's, no stub
    if type(local) is _THREAD_CRITICAL_LOCAL and _get_running_loop() is None:
        connection = object.__getattribute__(local, "_storage").__dict__.get(alias)
        if connection is not None:
            return connection
    return connections[alias]


#: The database alias and cursor that the statements of a `one_cursor` block share (contexts
#: are per thread, as Django's connections are).
_shared_cursor: ContextVar[tuple[str, Any] | None] = ContextVar("shared_cursor", default=None)


def _shared_cursor_of(alias: str) -> Any:
    """The cursor of the `one_cursor` block on the connection `alias`, if one is open; else None."""
    shared = _shared_cursor.get()
    return shared[1] if shared is not None and shared[0] == alias else None


@contextmanager
def one_cursor(using: str = "default") -> Iterator[None]:
    """The compiled statements run in this block (`PreparedInsert.write`, `CompiledQuery.rows`)
    share one cursor of `using`'s connection, closed at its end; inside a transaction, around
    work that runs many (issue 17: Django made and closed a cursor for each of an API intake's
    statements, 3 % of its instructions). A block inside another shares the outer one's."""
    if _shared_cursor_of(using) is not None:
        yield
        return
    with connection_of(using).cursor() as cursor:
        token = _shared_cursor.set((using, cursor))
        try:
            yield
        finally:
            _shared_cursor.reset(token)


def fetch_all(cursor: Any) -> list[Any]:
    """`cursor.fetchall()` of a Django cursor, its errors Django's as they are there, without the
    attribute look-up that makes a wrapped function on every call (Django's cursor hands
    `fetchall` out through `__getattr__`)."""
    with cursor.db.wrap_database_errors:
        return cursor.cursor.fetchall()  # type: ignore[no-any-return]  # the driver's rows


@contextmanager
def statement_cursor(connection: Any) -> Iterator[Any]:
    """The cursor of a `one_cursor` block on `connection` (a connection, or `django.db.connection`),
    or one of its own, closed after."""
    shared = _shared_cursor_of(connection.alias)
    if shared is not None:
        yield shared
        return
    with connection.cursor() as cursor:
        yield cursor


class PreparedInsert:
    """An INSERT of new rows of one plain model, its values worked out when it is prepared
    (`prepare_insert`) and its statement run by `write()`: prepared before the caller's
    transaction, written in it (issue 17: on SQLite an intake's first write takes the one write
    lock, and most of the time it then held the lock went to working out the values of the rows
    that followed, in Python, while the other intakes waited).

    A foreign key to a row that was not saved yet when the insert was prepared (the new ticket of
    an intake), and the fields named `late`, are read when it is written; everything else is
    bound as it was when prepared. `pre_save` is sent when it is prepared (its receivers may
    change a value), `post_save` when it is written."""

    def __init__(
        self,
        statement: _Statement,
        instances: Sequence[Model],
        params: list[Any],
        late: list[tuple[int, int, int]],
        unsaved: list[int],
        read_keys: bool,
        signals: bool,
        connection: Any,
    ) -> None:
        self._statement = statement
        self._instances = instances
        self._params = params
        self._late = late  # (position in params, instance, field): read when written
        self._unsaved = unsaved  # instances with a foreign key to a row not saved when prepared
        self._read_keys = read_keys
        self._signals = signals
        self._connection = connection  # in the thread that prepared it, which writes it

    def write(self) -> None:
        """Run the INSERT (once), with the late values as they are now; read back the keys (and
        the computed values) when it was prepared to."""
        instances, statement, connection = self._instances, self._statement, self._connection
        using = connection.alias
        operation = "save" if self._signals else "bulk_create"
        for index in self._unsaved:  # its parent is saved by now: its key (or the ORM's error)
            statement.ready_related(instances[index], operation)
        params = self._params
        for position, index, at in self._late:
            params[position] = statement.value(at, instances[index], connection)
        shared = _shared_cursor_of(using)
        with transaction.mark_for_rollback_on_error(using):
            if shared is not None:  # `statement_cursor` without its generator: the hot path
                rows = self._run(shared, params)
            else:
                with connection.cursor() as cursor:
                    rows = self._run(cursor, params)
        if rows:
            meta: Any = type(instances[0])._meta
            pk_attname = meta.pk.attname
            for instance, (pk, *values) in zip(instances, rows, strict=True):
                setattr(instance, pk_attname, pk)
                for field, value in zip(statement.computed, values, strict=True):
                    column = field.get_col(meta.db_table)  # converted as a query's column would be
                    for converter in connection.ops.get_db_converters(column) + column.get_db_converters(
                        connection
                    ):
                        value = converter(value, column, connection)
                    setattr(instance, field.attname, value)
        for instance in instances:
            instance._state.db = using
            instance._state.adding = False
        if self._signals:
            for instance in instances:
                post_save.send(
                    sender=type(instance), instance=instance, created=True, update_fields=None, raw=False,
                    using=using,
                )  # fmt: skip

    def _run(self, cursor: Any, params: list[Any]) -> Sequence[Any]:
        cursor.execute(self._statement.sql, params)
        return fetch_all(cursor) if self._read_keys else ()


def prepare_insert(
    instances: Sequence[Model],
    *,
    late: Sequence[str] = (),
    computed: Mapping[str, str] | None = None,
    ignore_conflicts: bool = False,
    read_keys: bool = False,
    signals: bool = False,
    using: str = "default",
) -> PreparedInsert:
    """The INSERT of `instances` (new rows of one plain model, at most `ROWS_PER_INSERT`), its
    values worked out now, to be run by `.write()` (see `PreparedInsert`).

    `late`: names of fields whose values are read when it is written (the caller sets them in
    between). `computed`: field name -> an SQL expression of ours (no values) that the database
    works out in the INSERT, read back with the key. `read_keys`: the keys (and `computed`
    values) are read back into the instances, in order (RETURNING). `signals`: `pre_save` now and
    `post_save` when written, for each, as a save sends them (`bulk_create` sends none)."""
    if not instances or len(instances) > ROWS_PER_INSERT:
        raise ValueError(f"prepare_insert() takes 1 to {ROWS_PER_INSERT} rows")
    if read_keys and ignore_conflicts:
        raise TypeError("an INSERT cannot read the keys of rows it may skip")
    model = type(instances[0])
    meta: Any = model._meta.concrete_model._meta  # type: ignore[union-attr]  # a model's concrete model has _meta
    connection = connection_of(using)
    if signals:
        for instance in instances:
            pre_save.send(sender=model, instance=instance, raw=False, using=using, update_fields=None)
    pk_field = meta.pk
    with_pk = None
    for instance in instances:
        if type(instance) is not model:
            raise TypeError("an INSERT writes new rows of one model, each with its primary key or none")
        pk = instance.pk
        if pk is None:
            pk = pk_field.get_pk_value_on_save(instance)  # a default, if any
            setattr(instance, pk_field.attname, pk)
        if with_pk is None:
            with_pk = pk is not None
        elif with_pk != (pk is not None):
            raise TypeError("an INSERT writes new rows of one model, each with its primary key or none")
    expressions = tuple(sorted(computed.items())) if computed else ()
    given = bool(with_pk)
    key = (meta.model, connection.vendor, len(instances), ignore_conflicts, given, read_keys, expressions)
    built = _inserts.get(key)
    if built is None:
        built = _inserts[key] = _insert_sql(
            meta, connection, len(instances), ignore_conflicts, given, read_keys, dict(expressions)
        )
    late_fields = [built.index(name) for name in late]
    width = len(built.fields)
    params: list[Any] = []
    late_values: list[tuple[int, int, int]] = []
    unsaved: list[int] = []
    operation = "save" if signals else "bulk_create"
    for index, instance in enumerate(instances):
        start = index * width
        cached = instance._state.fields_cache
        waiting = False
        for at, cache_name in built.relations:
            parent = cached.get(cache_name)
            if parent is not None and parent.pk is None:  # not saved yet: its key when written
                late_values.append((start + at, index, at))
                waiting = True
        if waiting:
            unsaved.append(index)  # the ORM sets its keys from their rows when it is written
        else:
            built.ready_related(instance, operation)
        for at in late_fields:
            late_values.append((start + at, index, at))
        params += built.values(instance, True, connection)
    return PreparedInsert(built, instances, params, late_values, unsaved, read_keys, signals, connection)


#: (model, database vendor, rows, ignore conflicts, keys given, keys read, computed) -> its INSERT
#: (the same on every connection)
_inserts: dict[tuple[type, str, int, bool, bool, bool, tuple[tuple[str, str], ...]], _Statement] = {}


def insert(instance: M, using: str = "default", computed: Mapping[str, str] | None = None) -> M:
    """Save the new `instance` as `save(force_insert=True)` would, from SQL kept per connection
    (see the module's note); returns it, with its primary key.

    `computed`: field name -> an SQL expression of ours (no values) that the database works out
    in the INSERT itself, read back into the instance with the key: PostgreSQL's next ticket
    number (`nextval`), one round trip fewer per intake."""
    prepare_insert([instance], computed=computed, read_keys=True, signals=True, using=using).write()
    return instance


def _insert_sql(
    meta: Any,
    connection: Any,
    rows: int,
    ignore_conflicts: bool,
    with_pk: bool,
    read_keys: bool,
    computed: dict[str, str],
) -> _Statement:
    every = _inserted_fields(meta, with_pk)
    fields = tuple(field for field in every if field.name not in computed)
    worked_out = tuple(meta.get_field(name) for name in computed)
    if len(fields) + len(worked_out) != len(every):
        raise TypeError(f"computed names fields {meta.label} does not insert: {sorted(computed)}")
    quote = connection.ops.quote_name
    columns = [quote(field.column) for field in (*fields, *worked_out)]
    row = f"({', '.join(['%s'] * len(fields) + [computed[field.name] for field in worked_out])})"
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    sql = (
        f"{connection.ops.insert_statement(on_conflict=on_conflict)} {quote(meta.db_table)} "
        f"({', '.join(columns)}) VALUES {', '.join([row] * rows)}"
    )
    suffix = connection.ops.on_conflict_suffix_sql(fields, on_conflict, None, None)
    if read_keys:
        suffix += f" RETURNING {', '.join(quote(field.column) for field in (meta.pk, *worked_out))}"
    return _Statement.of(f"{sql} {suffix}".rstrip(), fields, connection, computed=worked_out)


def _inserted_fields(meta: Any, with_pk: bool) -> tuple[Field[Any, Any], ...]:
    if meta.parents:
        raise TypeError(f"{meta.label} has a parent model: save it through the ORM")
    for field in meta.local_concrete_fields:
        if field.db_default is not NOT_PROVIDED or getattr(field, "generated", False):
            raise TypeError(f"{meta.label}.{field.name} has a database default: save it through the ORM")
    return tuple(field for field in meta.local_concrete_fields if with_pk or not field.primary_key)


#: (model, database vendor, fields) -> its UPDATE of those fields of one row, by primary key
_updates: dict[tuple[type, str, tuple[str, ...]], _Statement] = {}


def update(instance: M, fields: Sequence[str], using: str = "default") -> M:
    """`instance.save(update_fields=fields)` for a row of a plain model, from an UPDATE built once
    per model, database and fields: the same values (`pre_save`, `get_db_prep_save`), the same
    signals, and the same error when no row has the instance's key. Through the ORM the one
    UPDATE that records a processed message's outcome cost 0.3-0.5 ms of CPU (issue 17)."""
    update_each([instance], fields, using=using)
    return instance


def update_each(instances: Sequence[M], fields: Sequence[str], using: str = "default") -> None:
    """`update(instance, fields)` for each of `instances` (rows of one model), their UPDATEs sent
    together (`executemany`: on PostgreSQL one round trip for them all): a batch of stored mail
    records its messages' outcomes at its end (issue 17)."""
    if not instances:
        return
    origin = type(instances[0])
    meta: Any = origin._meta.concrete_model._meta  # type: ignore[union-attr]  # a model's concrete model has _meta
    connection = connection_of(using)
    key = (meta.model, connection.vendor, tuple(fields))
    built = _updates.get(key)
    if built is None:
        if meta.parents:
            raise TypeError(f"update() saves plain models; {origin.__name__} has a parent model")
        chosen = tuple(meta.get_field(name) for name in fields)
        if any(field.primary_key or not field.concrete for field in chosen):
            raise TypeError("update() writes concrete fields other than the primary key")
        quote = connection.ops.quote_name
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in chosen)
        built = _updates[key] = _Statement.of(
            f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s",  # noqa: S608 - quoted identifiers, bound values
            chosen,
            connection,
        )
    update_fields = frozenset(fields)
    rows = []
    for instance in instances:
        if type(instance) is not origin:
            raise TypeError("update_each() writes rows of one model")
        pre_save.send(sender=origin, instance=instance, raw=False, using=using, update_fields=update_fields)
        instance._prepare_related_fields_for_save(operation_name="save", fields=built.fields)  # type: ignore[attr-defined]  # Django's, no stub
        params = built.values(instance, False, connection)
        params.append(meta.pk.get_db_prep_value(instance.pk, connection))
        rows.append(params)
    with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
        if len(rows) == 1:
            cursor.execute(built.sql, rows[0])
        else:
            cursor.executemany(built.sql, rows)
        if cursor.rowcount < len(rows):  # one of them matched no row
            raise DatabaseError("Save with update_fields did not affect any rows.")
    for instance in instances:
        instance._state.db = using
        instance._state.adding = False
        post_save.send(
            sender=origin, instance=instance, created=False, update_fields=update_fields, raw=False,
            using=using,
        )  # fmt: skip


def insert_rows(
    instances: Sequence[Model],
    *,
    ignore_conflicts: bool = False,
    read_keys: bool = False,
    using: str = "default",
) -> None:
    """`bulk_create(instances, ignore_conflicts=...)` for new rows of one plain model, in one
    INSERT kept per model, database and count of rows: the same values, no signals (as
    `bulk_create`). `bulk_create` compiled its query each time: a quarter of a millisecond of
    CPU for the one or two rows an intake adds to a table (issue 17). With `ignore_conflicts`,
    a row a unique constraint already holds is skipped.

    Primary keys: every instance has its own (a UUID made in Python), or none has; with
    `read_keys`, the keys the database gives are read back into the instances, in the order of
    the rows (RETURNING, as `bulk_create` reads them on SQLite 3.35+ and PostgreSQL); not with
    `ignore_conflicts`, whose skipped rows return nothing."""
    if read_keys and ignore_conflicts:
        raise TypeError("insert_rows() cannot read the keys of rows it may skip")
    if read_keys and any(instance.pk is not None for instance in instances):
        raise TypeError("insert_rows() reads back only the keys the database gives")
    for statement in prepare_rows(
        instances, ignore_conflicts=ignore_conflicts, read_keys=read_keys, using=using
    ):
        statement.write()


def prepare_rows(
    instances: Sequence[Model],
    *,
    ignore_conflicts: bool = False,
    read_keys: bool = False,
    using: str = "default",
) -> list[PreparedInsert]:
    """`insert_rows` prepared (`prepare_insert`): its INSERTs of `ROWS_PER_INSERT` rows or fewer,
    each to be written (none for no rows)."""
    step = ROWS_PER_INSERT
    chunks = [instances[start : start + step] for start in range(0, len(instances), step)]
    return [
        prepare_insert(chunk, ignore_conflicts=ignore_conflicts, read_keys=read_keys, using=using)
        for chunk in chunks
    ]


#: Rows in one INSERT of `insert_rows` (so at most this many statements are kept per model).
ROWS_PER_INSERT = 100


# -- new rows -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Blueprint:
    """What `Model.__init__` works out field by field on every call, kept per model: each field's
    name and attribute name, its default (what `Field.get_default` calls), and, for a foreign
    key, the attribute of the row it points to and the name the row is cached under."""

    fields: tuple[tuple[str, str, Callable[[], Any], str | None, str | None], ...]
    names: frozenset[str]


_blueprints: dict[type[Model], _Blueprint] = {}


def _blueprint(model: type[Model]) -> _Blueprint:
    meta: Any = model._meta
    if meta.abstract or meta.parents or meta.proxy:
        raise TypeError(f"new_row() makes rows of plain models, not {model.__name__}")
    fields, names = [], set()
    for field in meta.fields:
        if field.column is None or field.generated:
            continue
        related = cache = None
        if field.is_relation:
            if len(field.related_fields) != 1 or not field.remote_field.multiple:
                raise TypeError(f"new_row() takes many-to-one foreign keys of one column, not {field.name}")
            related, cache = field.related_fields[0][1].attname, field.cache_name
            names.add(field.attname)
        fields.append((field.name, field.attname, field._get_default, related, cache))
        names.add(field.name)
    return _Blueprint(tuple(fields), frozenset(names))


def new_row(model: type[M], /, **values: Any) -> M:
    """`model(**values)`: an unsaved row of a plain model, made without the work per field
    `Model.__init__` does on every call: the same attributes, defaults, related-row cache and
    `_state`. An intake makes eight new rows; their `__init__` was 4 % of an API intake's time
    served (issue 17). A foreign key is given as its row (`ticket=`), cached as the ORM caches
    it, or as its key (`ticket_id=`); the related row's model is not checked (the type checker
    does). While anything listens to `pre_init` or `post_init` (no app of the desk does), it is
    `model(**values)`."""
    if _init_heard():
        return model(**values)
    blueprint = _blueprints.get(model)
    if blueprint is None:
        blueprint = _blueprints[model] = _blueprint(model)
    if not values.keys() <= blueprint.names:
        unexpected = ", ".join(repr(name) for name in sorted(values.keys() - blueprint.names))
        raise TypeError(f"{model.__name__}() got unexpected keyword arguments: {unexpected}")
    row, state = _bare(model)
    attributes = row.__dict__
    for name, attname, default, related, cache in blueprint.fields:
        if name in values:
            value = values[name]
            if related is not None:  # as the ORM's descriptor sets a related row
                state.fields_cache[cache] = value
                if value is not None:
                    if state.db is None:
                        state.db = router.db_for_write(model, instance=value)
                    if value._state.db is None:
                        value._state.db = router.db_for_write(type(value), instance=row)
                    value = getattr(value, related)
        elif attname in values:
            value = values[attname]
        else:
            value = default()
        attributes[attname] = value
    return row


def _loaded(model: type[M], using: str, names: list[str], values: Sequence[Any]) -> M:
    """`model.from_db(using, names, values)` for a row of every column of a plain model, in the
    model's order (`_Building.load`), made as `new_row` makes a new one."""
    if _init_heard():
        return model.from_db(using, names, values)
    row, state = _bare(model)
    state.adding, state.db = False, using
    row.__dict__.update(zip(names, values, strict=True))
    return row


def _init_heard() -> bool:
    """Whether anything listens to `pre_init` or `post_init`: then rows are made by the ORM."""
    return bool(pre_init.receivers or post_init.receivers)


def _bare(model: type[M]) -> tuple[M, Any]:
    """A row of `model` with no attributes yet but its `_state` (new, no database)."""
    row = model.__new__(model)
    state = row._state = models.base.ModelState()
    return row, state
