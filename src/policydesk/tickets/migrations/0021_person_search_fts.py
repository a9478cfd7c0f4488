"""SQLite: a trigram full-text table over people's email and name, for the console's customer
search (issue 17), as PostgreSQL has its trigram indexes (0019).

An agent opening a ticket on a customer's behalf finds them by part of their email or name
(`console.queries.customers`). SQLite has no index for a substring, so at a million people every
keystroke read them all (8 s, BENCHMARKS.md "People at scale"). `tickets_person_fts` is an FTS5
table with the trigram tokenizer (substrings of three characters or more, any script, case
folded), external content over `tickets_person`, kept in step by triggers in the transaction of
every write of a person, like the search index's (search 0002). The update trigger follows only
`email` and `name`, so a sign-in's `last_login` does not touch it.

A later migration that makes SQLite rebuild `tickets_person` (most changes of its columns) drops
these triggers with the old table: it must create them again after
(`tests/tickets/test_people_search_index.py` fails until it does)."""

from django.db import migrations

TRIGGERS = [
    "CREATE TRIGGER tickets_person_fts_ai AFTER INSERT ON tickets_person BEGIN "
    "INSERT INTO tickets_person_fts(rowid, email, name) VALUES (new.id, new.email, new.name); END",
    "CREATE TRIGGER tickets_person_fts_ad AFTER DELETE ON tickets_person BEGIN "
    "INSERT INTO tickets_person_fts(tickets_person_fts, rowid, email, name) "
    "VALUES ('delete', old.id, old.email, old.name); END",
    "CREATE TRIGGER tickets_person_fts_au AFTER UPDATE OF email, name ON tickets_person BEGIN "
    "INSERT INTO tickets_person_fts(tickets_person_fts, rowid, email, name) "
    "VALUES ('delete', old.id, old.email, old.name); "
    "INSERT INTO tickets_person_fts(rowid, email, name) VALUES (new.id, new.email, new.name); END",
]
SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE tickets_person_fts USING fts5(email, name, content='tickets_person', "
    "content_rowid='id', tokenize='trigram case_sensitive 0')",
    *TRIGGERS,
    "INSERT INTO tickets_person_fts(tickets_person_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS tickets_person_fts_ai",
    "DROP TRIGGER IF EXISTS tickets_person_fts_ad",
    "DROP TRIGGER IF EXISTS tickets_person_fts_au",
    "DROP TABLE IF EXISTS tickets_person_fts",
]


def _run(statements: list[str]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0020_person_role_index")]

    operations = [
        migrations.RunPython(_run(SQLITE_FORWARD), _run(SQLITE_BACKWARD), elidable=False),
    ]
