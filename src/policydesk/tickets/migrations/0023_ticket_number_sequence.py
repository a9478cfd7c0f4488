"""On PostgreSQL, ticket numbers come from a sequence (issue 17), not from the `Counter` row.

The row was advanced by an UPDATE that held its lock until the intake's transaction committed
(its WAL flush included): two intakes never overlapped, 9 of a 14 ms intake. `nextval` takes no
lock that lasts. A transaction that rolls back after taking a number leaves a gap; numbers stay
unique and rising. SQLite keeps the row: its one write lock serialises writers anyway.

Forward: the sequence continues after the greater of the counter and the highest ticket number
(a fresh database starts at 1), and the counter's row goes (one home for the fact). Backward:
the row again holds the last number the sequence gave, and the sequence goes."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

SEQUENCE = "tickets_ticket_number_seq"


def to_sequence(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} AS bigint MINVALUE 1")
        cursor.execute(
            "SELECT GREATEST("
            "COALESCE((SELECT value FROM tickets_counter WHERE name = 'ticket'), 0), "
            "COALESCE((SELECT MAX(number) FROM tickets_ticket), 0))"
        )
        (last,) = cursor.fetchone()
        cursor.execute("SELECT setval(%s, %s, %s)", [SEQUENCE, max(last, 1), last > 0])
        cursor.execute("DELETE FROM tickets_counter WHERE name = 'ticket'")


def to_counter(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {SEQUENCE}")
        (last,) = cursor.fetchone()
        cursor.execute(
            "INSERT INTO tickets_counter (name, value) VALUES ('ticket', %s) "
            "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
            [last],
        )
        cursor.execute(f"DROP SEQUENCE {SEQUENCE}")


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0022_drop_indexes_other_indexes_serve"),
    ]

    operations = [migrations.RunPython(to_sequence, to_counter, elidable=False)]
