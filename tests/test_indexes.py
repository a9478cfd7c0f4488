"""No index that another already serves, on the tables every new ticket writes (issue 17): every
index is one more b-tree page written by each new row, and an intake writes rows to a dozen
tables. An index whose columns begin another index or unique constraint of the same table (one
that holds for every row, not a partial one) is dropped; the look-ups by its columns use the
longer one. The schema is read from the database the migrations built, on SQLite and PostgreSQL.

Other tables still have such indexes (`redundant_indexes()` lists 18 on SQLite: most on the many-to-many
tables Django makes, a few on tables written once per ticket event, not per ticket)."""

from __future__ import annotations

import pytest
from django.db import connection


def _partial_indexes() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        else:
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()")
        return {name for name, sql in cursor.fetchall() if " WHERE " in sql.upper()}


#: Every intake (or stored email becoming a ticket) writes a row to each
#: (tests/tickets/test_intake_query_counts.py counts them).
INTAKE_TABLES = (
    "tickets_ticket", "tickets_message", "tickets_auditevent", "tickets_metricevent",
    "tickets_submittedform", "mail_outgoingmail", "mail_messagelink", "mail_inboundmessage",
    "watch_timer", "search_entry",
)  # fmt: skip


def redundant_indexes(tables: tuple[str, ...] | None = None) -> list[str]:
    """Indexes whose columns begin another full index or unique constraint of their table."""
    partial = _partial_indexes()
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table.startswith(("django_", "auth_")) or (tables is not None and table not in tables):
                continue
            constraints = connection.introspection.get_constraints(cursor, table)
            serving = [
                (name, tuple(c["columns"])) for name, c in constraints.items()
                if (c["index"] or c["unique"] or c["primary_key"]) and c["columns"] and name not in partial
                and not c.get("foreign_key") and not name.endswith("_like")
            ]  # fmt: skip
            for name, c in constraints.items():
                columns = tuple(c["columns"] or ())
                if not c["index"] or c["unique"] or c["primary_key"] or not columns or name in partial:
                    continue
                if name.endswith("_like"):  # PostgreSQL's pattern twin of an index (LIKE 'x%'): its own use
                    continue
                for other, longer in serving:
                    if other != name and longer[: len(columns)] == columns and len(longer) >= len(columns):
                        found.append(f"{table}.{name} {columns} is served by {other} {longer}")
                        break
    return sorted(found)


@pytest.mark.django_db
def test_no_index_on_the_tables_an_intake_writes_is_served_by_another() -> None:
    assert redundant_indexes(INTAKE_TABLES) == []
    assert len(redundant_indexes()) > 0  # the check finds what it looks for (the other tables)
