"""Django's SQLite backend with the writers in line (settings: ENGINE `policydesk.sqlite_writers`).

SQLite lets one transaction write at a time. A process that finds the file locked sleeps in
SQLite's busy handler, longer each time (1, 2, 5, 10, 15, 20, 25 ms...), and another writer
often takes the lock while it sleeps: with two web processes opening tickets, one request in a
hundred waited 90-115 ms for a lock held 3-4 ms at a time (BENCHMARKS.md). Here every write
transaction (`BEGIN IMMEDIATE`, which the desk's settings make every `atomic` block) first takes
an exclusive `flock` on a file beside the database (`<database>-writers`), which every process
of the desk shares, and lets it go once the transaction commits or rolls back: a writer waits
for the one before it in steps of a fifth of a millisecond, not for SQLite's back-off. After the
busy timeout it stops waiting for the file and leaves the rest to SQLite, as before. Writes
outside `atomic` (autocommit) and in-memory databases (the tests') are SQLite's alone."""

from __future__ import annotations

import fcntl
import time
from typing import IO, Any

from django.db.backends.sqlite3 import base

#: Seconds between two tries of the writers' lock while another process holds it.
POLL = 0.0002


#: Statements in Django's "format" style (%s) -> SQLite's qmark style (?), as converted before.
_QMARK: dict[str, str] = {}
_QMARK_KEPT = 2048


class CursorWrapper(base.SQLiteCursorWrapper):
    """Django's cursor, with each statement's conversion to SQLite's placeholders kept: the desk
    sends the same few hundred statements again and again, and a regular expression converted
    each one every time (16 per intake; issue 17)."""

    def convert_query(self, query: str, *, param_names: Any = None) -> str:
        if param_names is not None:
            return super().convert_query(query, param_names=param_names)  # type: ignore[misc, no-any-return]  # Django's, no stub
        converted = _QMARK.get(query)
        if converted is None:
            converted = super().convert_query(query)  # type: ignore[misc]  # Django's, no stub
            if len(_QMARK) >= _QMARK_KEPT:  # statements built with values in them: start again
                _QMARK.clear()
            _QMARK[query] = converted
        return converted


class DatabaseWrapper(base.DatabaseWrapper):
    _writers: IO[bytes] | None = None
    _holding = False

    def create_cursor(self, name: str | None = None) -> Any:
        return self.connection.cursor(factory=CursorWrapper)

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        database = str(conn_params.get("database", ""))
        if database and not self.is_in_memory_db() and not database.startswith("file:"):
            self._writers = open(f"{database}-writers", "ab")  # noqa: SIM115 - held with the connection
        return connection

    def _start_transaction_under_autocommit(self) -> None:
        self._take_writers_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in the stubs
        except BaseException:
            self._let_writers_lock_go()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._let_writers_lock_go()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._let_writers_lock_go()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._let_writers_lock_go()
            if self._writers is not None:
                self._writers.close()
                self._writers = None

    def _take_writers_lock(self) -> None:
        if self._writers is None or self._holding:
            return
        deadline = time.monotonic() + float(self.settings_dict["OPTIONS"].get("timeout", 5))
        while True:
            try:
                fcntl.flock(self._writers.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return  # SQLite's own busy timeout decides from here
                time.sleep(POLL)
                continue
            self._holding = True
            return

    def _let_writers_lock_go(self) -> None:
        if self._holding and self._writers is not None:
            fcntl.flock(self._writers.fileno(), fcntl.LOCK_UN)
        self._holding = False
