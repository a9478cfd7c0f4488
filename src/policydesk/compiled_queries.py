"""SELECTs made on every request or message, compiled to SQL by the ORM once per connection.

Django compiles a QuerySet to SQL each time it runs. For the small SELECTs that processing one
stored message makes (lock and re-check its row, the Message-ID link, the sender with their
organisation) each took 0.5-1.9 ms of CPU, most of it compiling; 0.1-0.4 ms from the kept SQL
(issue 17). The API's bearer-token and named-customer look-ups use it too (`api/tokens.py`,
`api/tickets.py`); it sits with the desk-wide helpers, under every app that uses it.
A `CompiledQuery` builds its QuerySet once, with stand-in values for its parameters, keeps the
SQL and the compiler, and runs the SQL again with the real values. Rows come back as the ORM
would give them: through the compiler's converters, as tuples (`values_list`) or as model
instances (`from_db`, `select_related` foreign keys populated). Statements still go through the
connection's cursor: query counting, execute wrappers and transactions see them as any other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import (  # type: ignore[attr-defined]  # Django internal, no stub: how ModelIterable fills select_related
    ModelIterable,
    get_related_populators,
)
from django.db.models.sql.compiler import SQLCompiler

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
    models: bool  # model instances (else tuples)


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
        with connections[using].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            fetched = cursor.fetchall()
        compiler = compiled.compiler
        rows = list(compiler.results_iter([fetched], tuple_expected=True))
        if not compiled.models:
            return rows
        klass_info, select = compiler.klass_info, compiler.select
        assert klass_info is not None  # noqa: S101 - a model query has one
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, using)
        instances = []
        for row in rows:
            instance = klass_info["model"].from_db(using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, instance)
            instances.append(instance)
        return instances

    def first(self, using: str = "default", **values: Any) -> Any:
        """The first row, or None."""
        rows = self.rows(using, **values)
        return rows[0] if rows else None

    def _compiled(self, using: str) -> _Compiled:
        cache: dict[tuple[str, int], _Compiled] = self._local.__dict__.setdefault("compiled", {})
        connection = connections[using]
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
            models = queryset._iterable_class is ModelIterable  # else values_list's tuples
            compiled = _Compiled(compiler, sql, tuple(params), positions, models=models)
            cache[key] = compiled
        return compiled
