"""PostgreSQL: trigram indexes for the console's customer search (issue 17).

An agent opening a ticket on a customer's behalf finds them by part of their email or name
(`console.queries.customers`: `icontains`, which PostgreSQL writes as `UPPER(col::text) LIKE
UPPER('%...%')`). No b-tree serves a substring, so with a million people every keystroke read
them all. GIN trigram indexes on the same UPPER expressions serve it for searches of three
characters or more. pg_trgm is the extension the search index already uses (search 0002: a
trusted extension from PostgreSQL 13). SQLite has no such index: there the search stays a scan
of the people table (BENCHMARKS.md, "People at scale")."""

from django.db import migrations

POSTGRESQL_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS person_email_upper_trgm ON tickets_person USING gin (UPPER(email) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS person_name_upper_trgm ON tickets_person USING gin (UPPER(name) gin_trgm_ops)",
]
POSTGRESQL_BACKWARD = [
    "DROP INDEX IF EXISTS person_email_upper_trgm",
    "DROP INDEX IF EXISTS person_name_upper_trgm",
]


def _run(statements: list[str]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0018_on_hold_status")]

    operations = [
        migrations.RunPython(_run(POSTGRESQL_FORWARD), _run(POSTGRESQL_BACKWARD), elidable=False),
    ]
