"""SQLite's writers in line (`policydesk.sqlite_writers`): each write transaction takes the file
lock beside the database before `BEGIN IMMEDIATE` and lets it go at the commit or the rollback,
so a second writer waits for it there, not in SQLite's busy back-off."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connection

from policydesk.sqlite_writers.base import DatabaseWrapper

pytestmark = [
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's backend"),
    pytest.mark.django_db,
]


def wrapper(path: Path, timeout: float = 5) -> DatabaseWrapper:
    settings = {**connection.settings_dict, "NAME": str(path), "TEST": {}}
    settings["OPTIONS"] = {**settings["OPTIONS"], "timeout": timeout, "transaction_mode": "IMMEDIATE"}
    settings["OPTIONS"].pop("init_command", None)
    database = DatabaseWrapper(settings, alias=f"writers-{id(settings)}")
    database.ensure_connection()
    return database


def begin(database: DatabaseWrapper) -> None:
    database._start_transaction_under_autocommit()  # what an outermost atomic block does


@pytest.fixture
def two(tmp_path: Path) -> Any:
    first, second = wrapper(tmp_path / "desk.sqlite3"), wrapper(tmp_path / "desk.sqlite3")
    with first.cursor() as cursor:
        cursor.execute("CREATE TABLE t (n INTEGER)")
    yield first, second
    first.close()
    second.close()


def test_a_second_writer_waits_for_the_first_to_commit(two: Any) -> None:
    first, _ = two
    begin(first)
    path = Path(first.settings_dict["NAME"])
    assert first._holding and path.with_name(path.name + "-writers").exists()
    done = threading.Event()
    held: list[bool] = []

    def write() -> None:  # another connection, in a thread of its own (as another process would)
        second = wrapper(path)
        try:
            begin(second)
            held.append(second._holding)
            with second.cursor() as cursor:
                cursor.execute("INSERT INTO t VALUES (2)")
            second._commit()
            held.append(second._holding)
        finally:
            second.close()
            done.set()

    thread = threading.Thread(target=write)
    thread.start()
    assert not done.wait(0.3), "the second writer went ahead while the first held the lock"
    with first.cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (1)")
    first._commit()
    assert not first._holding
    assert done.wait(10)
    thread.join()
    assert held == [True, False]
    with first.cursor() as cursor:
        cursor.execute("SELECT n FROM t ORDER BY rowid")
        assert [n for (n,) in cursor.fetchall()] == [1, 2]


def test_a_rollback_and_a_closed_connection_let_the_lock_go(two: Any) -> None:
    first, second = two
    begin(first)
    first._rollback()
    begin(second)  # at once
    assert second._holding
    second.close()
    assert not second._holding
    begin(first)
    assert first._holding
    first._rollback()


def test_past_the_busy_timeout_sqlite_decides(tmp_path: Path) -> None:
    first, second = wrapper(tmp_path / "desk.sqlite3"), wrapper(tmp_path / "desk.sqlite3", timeout=0.2)
    try:
        begin(first)
        started = time.monotonic()
        with pytest.raises(OperationalError, match="locked"):
            begin(second)  # gave up on the file lock, then SQLite's own timeout: "database is locked"
        assert not second._holding
        assert time.monotonic() - started < 10
    finally:
        first._rollback()
        first.close()
        second.close()


def test_the_tests_in_memory_database_has_no_lock_file() -> None:
    connection.ensure_connection()
    assert connection.vendor == "sqlite" and connection.is_in_memory_db()
    assert connection.connection is not None
    assert getattr(connection, "_writers", None) is None


def test_statements_convert_to_sqlite_placeholders_once(tmp_path: Path, monkeypatch: Any) -> None:
    """Each statement's %s placeholders become ? once; %% stays a literal percent; a statement
    with named parameters is converted as Django does; the kept conversions stay bounded."""
    from policydesk.sqlite_writers import base

    database = wrapper(tmp_path / "desk.sqlite3")
    calls: list[str] = []
    django_convert = base.base.SQLiteCursorWrapper.convert_query

    def counted(self: Any, query: str, *, param_names: Any = None) -> str:
        calls.append(query)
        return django_convert(self, query, param_names=param_names)  # type: ignore[no-any-return]

    monkeypatch.setattr(base.base.SQLiteCursorWrapper, "convert_query", counted)
    monkeypatch.setattr(base, "_QMARK", {})
    with database.cursor() as cursor:
        for n in range(3):
            cursor.execute("SELECT %s || '%%', %s", [f"kept {n}", n])
            assert cursor.fetchone() == (f"kept {n}%", n)
        cursor.execute("SELECT :a + :b", {"a": 1, "b": 2})
        assert cursor.fetchone() == (3,)
        cursor.execute("SELECT :a + :b", {"a": 2, "b": 2})
        assert cursor.fetchone() == (4,)
    assert calls == ["SELECT %s || '%%', %s", "SELECT :a + :b", "SELECT :a + :b"]  # named: not kept
    monkeypatch.setattr(base, "_QMARK_KEPT", 2)
    with database.cursor() as cursor:
        for n in range(5):
            cursor.execute(f"SELECT {n} + %s", [n])
            assert cursor.fetchone() == (2 * n,)
    assert len(base._QMARK) <= 2
    database.close()
