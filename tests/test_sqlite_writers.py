"""SQLite's writers in line (`policydesk.sqlite_writers`): each write transaction takes the file
lock beside the database before `BEGIN IMMEDIATE` and lets it go at the commit or the rollback,
so a second writer waits for it there, not in SQLite's busy back-off."""

from __future__ import annotations

import logging
import os
import struct
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connection

from policydesk.sqlite_writers import base
from policydesk.sqlite_writers.base import DatabaseWrapper, UnknownLogIndex, log_frames

pytestmark = [
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's backend"),
    pytest.mark.django_db,
]


def wrapper(path: Path, timeout: float = 5, checkpoint_pages: int | None = None) -> DatabaseWrapper:
    settings = {**connection.settings_dict, "NAME": str(path), "TEST": {}}
    settings["OPTIONS"] = {
        **settings["OPTIONS"], "timeout": timeout, "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;" if checkpoint_pages is not None else "",
    }  # fmt: skip
    if checkpoint_pages is not None:
        settings["OPTIONS"]["checkpoint_pages"] = checkpoint_pages
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


# -- the write-ahead log copied after the commit, the writers' lock let go --------------------


def commit_rows(database: DatabaseWrapper, rows: int) -> None:
    """One write transaction of `rows` rows of 1 KiB: a page of the log for every four or so."""
    begin(database)
    with database.cursor() as cursor:
        cursor.executemany("INSERT INTO t VALUES (%s)", [("x" * 1024,) for _ in range(rows)])
    database._commit()


def frames_in(index: Path) -> tuple[int, int] | None:
    """`log_frames` of the index file at `index`."""
    descriptor = os.open(index, os.O_RDONLY)
    try:
        return log_frames(descriptor)
    finally:
        os.close(descriptor)


def in_the_log(database: DatabaseWrapper) -> int:
    """Frames of the log not yet copied into the database."""
    counted = frames_in(Path(f"{database.settings_dict['NAME']}-shm"))
    assert counted is not None
    frames, copied = counted
    return frames - copied


def test_the_frames_waiting_in_the_log_are_read_as_sqlite_counts_them(tmp_path: Path) -> None:
    database = wrapper(tmp_path / "desk.sqlite3", checkpoint_pages=0)
    with database.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.execute("CREATE TABLE t (n TEXT)")
    for _ in range(3):
        commit_rows(database, 20)
    waiting = in_the_log(database)
    with database.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        busy, frames, copied = cursor.fetchone()
    assert (busy, frames, copied) == (0, waiting, waiting) and waiting > 10
    assert in_the_log(database) == 0
    database.close()


def test_the_log_is_copied_after_the_commit_that_passes_the_mark_without_the_writers_lock(
    tmp_path: Path,
) -> None:
    database = wrapper(tmp_path / "desk.sqlite3", checkpoint_pages=8)
    with database.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone() == (16,)  # SQLite's own, for writes outside a transaction
        cursor.execute("CREATE TABLE t (n TEXT)")
    checkpoints: list[bool] = []  # whether the writers' lock was held at each checkpoint

    def traced(statement: str) -> None:
        if "wal_checkpoint" in statement:
            checkpoints.append(database._holding)

    database.connection.set_trace_callback(traced)
    before: list[int] = []
    for _ in range(20):  # a page or two each, until a commit takes the log past the mark
        before.append(in_the_log(database))
        commit_rows(database, 4)
        if checkpoints:
            break
    assert checkpoints == [False]
    assert before[0] < before[-1] < 8 <= before[-1] + 4  # copied after the commit that passed 8
    assert in_the_log(database) == 0
    with database.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM t")
        assert cursor.fetchone() == (4 * len(before),)
    database.close()


def test_what_a_reader_kept_from_the_copy_is_copied_at_the_next_commit(tmp_path: Path) -> None:
    """A reader's snapshot keeps the frames after it from the copy; once it has read, the next
    commit copies them, however few (as SQLite's own rule does: the log is past the mark)."""
    path = tmp_path / "desk.sqlite3"
    database, reader = wrapper(path, checkpoint_pages=12), wrapper(path)
    with database.cursor() as cursor:
        cursor.execute("CREATE TABLE t (n TEXT)")
    while in_the_log(database) < 10:
        commit_rows(database, 2)
    reading = reader.connection.cursor()
    reading.execute("BEGIN")
    reading.execute("SELECT COUNT(*) FROM t")  # a snapshot: what comes after it is not copied
    commit_rows(database, 12)  # past the mark: copied up to the reader's snapshot
    kept = in_the_log(database)
    assert 0 < kept < 11
    reading.execute("COMMIT")
    commit_rows(database, 1)  # a frame or two: still fewer than the mark wait, and they are copied
    assert in_the_log(database) == 0
    database.close()
    reader.close()


def header(version: int = 3007000, frames: int = 30) -> bytes:
    """One copy of the index's header: version, padding, change counter, initialised, checksum
    order, page size, last valid frame, pages in the database; then checksums and salts."""
    return struct.pack("=IIIBBHII", version, 0, 1, 1, 0, 4096, frames, 9).ljust(48, b"\0")


@pytest.mark.parametrize(
    ("index", "counted"),
    [
        (header() + header() + struct.pack("=I", 12).ljust(40, b"\0"), (30, 12)),  # 30 frames, 12 copied
        (header() + header(frames=31) + bytes(40), None),  # being written: its copies differ
        (header()[:20], None),  # cut short
    ],
)
def test_an_index_header_read_only_when_both_copies_agree_in_the_known_format(
    tmp_path: Path, index: bytes, counted: tuple[int, int] | None
) -> None:
    path = tmp_path / "desk.sqlite3-shm"
    path.write_bytes(index)
    assert frames_in(path) == counted


def test_an_index_of_another_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "desk.sqlite3-shm"
    path.write_bytes(header(version=3007001) * 2 + bytes(40))
    with pytest.raises(UnknownLogIndex, match="3007001"):
        frames_in(path)


def _no_index(path: str, *args: Any) -> int:
    if str(path).endswith("-shm"):
        raise PermissionError(path)
    return _REAL_OPEN(path, *args)


def _another_format(index: int) -> None:
    raise UnknownLogIndex("write-ahead log index version 4000000, not 3007000")


_REAL_OPEN = os.open


@pytest.mark.parametrize(
    ("replaced", "by", "said"),
    [(base.os, ("open", _no_index), "-shm)"), (base, ("log_frames", _another_format), "4000000")],
    ids=["no index to read", "an index of another format"],
)
def test_without_an_index_it_knows_sqlite_checkpoints_alone_at_the_mark(
    tmp_path: Path, monkeypatch: Any, caplog: Any, replaced: Any, by: tuple[str, Any], said: str
) -> None:
    database = wrapper(tmp_path / "desk.sqlite3", checkpoint_pages=8)
    with database.cursor() as cursor:
        cursor.execute("CREATE TABLE t (n TEXT)")
    monkeypatch.setattr(replaced, *by)
    with caplog.at_level(logging.WARNING, logger="policydesk.sqlite"):
        commit_rows(database, 4)  # the commit stands
    assert said in caplog.text and "SQLite checkpoints alone" in caplog.text
    with database.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone() == (8,)
        cursor.execute("SELECT COUNT(*) FROM t")
        assert cursor.fetchone() == (4,)
    assert database._checkpoint_pages == 0
    database.close()
