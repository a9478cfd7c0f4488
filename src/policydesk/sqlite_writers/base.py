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
outside `atomic` (autocommit) and in-memory databases (the tests') are SQLite's alone.

The write-ahead log is copied into the database (checkpointed) after the commit that takes it
past `OPTIONS["checkpoint_pages"]` pages, once the writers' lock is let go (issue 17). SQLite's
own automatic checkpoint runs inside the commit that passes its mark, and so, here, under the
writers' lock: every other writer waited for the copy and its two fsyncs (tens of milliseconds,
once every 140 intakes at 10,000 pages). SQLite's own stays on at twice the mark, for writes
outside a transaction, which take no writers' lock. How many pages wait to be copied is read
from the log's index, the `-shm` file beside the database (its header, as
https://www.sqlite.org/walformat.html gives it); where that file cannot be read, or its format is
another, SQLite's own checkpoint is put back at the mark."""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import struct
import time
from typing import IO, Any

from django.db.backends.sqlite3 import base

#: Seconds between two tries of the writers' lock while another process holds it.
POLL = 0.0002

log = logging.getLogger("policydesk.sqlite")

#: The write-ahead log index's header (walformat.html): the version this reading knows, where
#: the two copies of the header start and how long each is, and where, in each copy, the last
#: valid frame of the log (mxFrame) lies; then how many of those are in the database (nBackfill).
_WAL_INDEX_VERSION = 3007000
_HEADER, _HEADER_COPY, _HEADER_SIZE, _MAX_FRAME, _BACKFILLED = 0, 48, 48, 16, 96
_INDEX_READ = 100


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


class UnknownLogIndex(ValueError):
    """The log's index is of a format this reading does not know."""


def log_frames(index: int) -> tuple[int, int] | None:
    """(frames in the write-ahead log, frames of them copied into the database), from its index
    (the open `-shm` file `index`); None while the header is being written (its two copies
    differ) or is not there yet: the caller looks again at its next commit. `UnknownLogIndex`
    for a version this reading does not know."""
    data = os.pread(index, _INDEX_READ, 0)
    if len(data) < _INDEX_READ:
        return None
    header = data[_HEADER : _HEADER + _HEADER_SIZE]
    if header != data[_HEADER_COPY : _HEADER_COPY + _HEADER_SIZE]:
        return None
    (version,) = struct.unpack_from("=I", header, 0)
    if version != _WAL_INDEX_VERSION:
        raise UnknownLogIndex(f"write-ahead log index version {version}, not {_WAL_INDEX_VERSION}")
    (frames,) = struct.unpack_from("=I", header, _MAX_FRAME)
    (copied,) = struct.unpack_from("=I", data, _BACKFILLED)
    return frames, copied


class DatabaseWrapper(base.DatabaseWrapper):
    _writers: IO[bytes] | None = None
    _holding = False
    _checkpoint_mark: int | None = None  # OPTIONS["checkpoint_pages"]; None: SQLite's default
    _checkpoint_pages = 0  # the desk's own checkpoint after commits; 0: SQLite's alone
    _index: int | None = None  # the log's index (`-shm`), opened at the first commit that looks

    def create_cursor(self, name: str | None = None) -> Any:
        return self.connection.cursor(factory=CursorWrapper)

    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        mark = params.pop("checkpoint_pages", None)
        self._checkpoint_mark = None if mark is None else int(mark)
        return params

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        database = str(conn_params.get("database", ""))
        self._checkpoint_pages = 0
        if database and not self.is_in_memory_db() and not database.startswith("file:"):
            self._writers = open(f"{database}-writers", "ab")  # noqa: SIM115 - held with the connection
            self._checkpoint_pages = self._checkpoint_mark or 0
        if self._checkpoint_mark is not None:  # SQLite's own: twice the mark where the desk's goes first
            sqlite_mark = 2 * self._checkpoint_pages or self._checkpoint_mark
            connection.execute(f"PRAGMA wal_autocheckpoint={sqlite_mark}")
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
        if self._checkpoint_pages:
            self._checkpoint_when_due()

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
            if self._index is not None:
                os.close(self._index)
                self._index = None

    def _checkpoint_when_due(self) -> None:
        """After a commit, with the writers' lock let go: a passive checkpoint (which no reader or
        writer waits for) when the log holds `checkpoint_pages` frames or more and some are not
        yet copied: SQLite's own rule, which it applies inside the commit. The log starts again
        from its beginning at the first write after a checkpoint that copied it all, unless a
        reader still reads it; until then each commit copies what it added. The commit is done
        whatever happens here: nothing raises; a checkpoint that fails is logged, and the next
        commit tries again."""
        try:
            if self._index is None:
                self._index = os.open(f"{self.settings_dict['NAME']}-shm", os.O_RDONLY)
            counted = log_frames(self._index)
        except (OSError, UnknownLogIndex) as error:
            self._sqlite_checkpoints_alone(error)
            return
        if counted is None:
            return
        frames, copied = counted
        if frames < self._checkpoint_pages or copied >= frames:
            return
        try:
            self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:
            log.warning(
                "checkpoint of the write-ahead log failed; the next commit tries again", exc_info=True
            )

    def _sqlite_checkpoints_alone(self, why: Exception) -> None:
        """No index to read: SQLite's own automatic checkpoint, at the mark, from now on."""
        log.warning(
            "no write-ahead log index to read beside %s (%s): SQLite checkpoints alone",
            self.settings_dict["NAME"], why,
        )  # fmt: skip
        try:
            self.connection.execute(f"PRAGMA wal_autocheckpoint={self._checkpoint_pages}")
        except sqlite3.Error:
            log.warning("SQLite's own checkpoint mark could not be set", exc_info=True)
        self._checkpoint_pages = 0

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
