"""The gram index: one- and two-character terms answered from an index, as longer ones are
(docs/search.md, "Each database's index"). Built here for the rows already there.

SQLite: an FTS5 table `search_gram_fts` (`ascii` tokenizer, no positions, no column sizes)
whose document for entry N is `search_grams(body)`, the entry's grams as ASCII words
(`search/grams.py: tokens`, a Python function `backends.register_functions` adds to every
SQLite connection Django opens). It is an external-content table over the view
`search_gram_source`, so FTS5's 'rebuild' and 'integrity-check' read the entries themselves,
and three triggers keep it in step with every write of `search_entry`, in its transaction.
A connection without the function (the sqlite3 shell) cannot write `search_entry`: it fails,
it does not drift. A later migration that makes SQLite rebuild `search_entry` (Django copies
it to a new table) must drop the view and these triggers first and create them again after, as
for `search_fts` (0002): the rename fails while the view names the old table.

PostgreSQL: an IMMUTABLE SQL function `search_grams(text)` returning the grams of a text as an
array (built-in functions only, so pg_dump and restore need nothing else) and a GIN index on
`search_grams(body)`, which PostgreSQL keeps in step itself. Queries match with
`search_grams(e.body) @> ARRAY[term]`. Its COST tells the planner that it is computed, not
read (about 0.2 ms for 250 characters), so that it reads the index rather than the table,
computing the grams of every row it passes, for any term it is asked about (`backends.py`
asks only about rare ones)."""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIEW search_gram_source AS SELECT id, search_grams(body) AS grams FROM search_entry",
    "CREATE VIRTUAL TABLE search_gram_fts USING fts5(grams, content='search_gram_source', "
    "content_rowid='id', tokenize='ascii', detail='none', columnsize=0)",
    "CREATE TRIGGER search_entry_grams_ai AFTER INSERT ON search_entry BEGIN "
    "INSERT INTO search_gram_fts(rowid, grams) VALUES (new.id, search_grams(new.body)); END",
    "CREATE TRIGGER search_entry_grams_ad AFTER DELETE ON search_entry BEGIN "
    "INSERT INTO search_gram_fts(search_gram_fts, rowid, grams) "
    "VALUES ('delete', old.id, search_grams(old.body)); END",
    "CREATE TRIGGER search_entry_grams_au AFTER UPDATE OF id, body ON search_entry BEGIN "
    "INSERT INTO search_gram_fts(search_gram_fts, rowid, grams) "
    "VALUES ('delete', old.id, search_grams(old.body)); "
    "INSERT INTO search_gram_fts(rowid, grams) VALUES (new.id, search_grams(new.body)); END",
    "INSERT INTO search_gram_fts(search_gram_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS search_entry_grams_ai",
    "DROP TRIGGER IF EXISTS search_entry_grams_ad",
    "DROP TRIGGER IF EXISTS search_entry_grams_au",
    "DROP TABLE IF EXISTS search_gram_fts",
    "DROP VIEW IF EXISTS search_gram_source",
]
POSTGRESQL_FORWARD = [
    # Each character, then each pair of adjacent characters (repeats are harmless: GIN keeps a
    # key once per row). string_to_array(text, NULL) splits into characters.
    "CREATE OR REPLACE FUNCTION search_grams(body text) RETURNS text[] "
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$ "
    "SELECT chars || ARRAY(SELECT first || second FROM unnest(chars[:cardinality(chars) - 1], chars[2:]) "
    "AS pairs(first, second)) FROM string_to_array(body, NULL) AS chars $$",
    "CREATE INDEX IF NOT EXISTS search_entry_body_grams ON search_entry USING gin (search_grams(body))",
]
POSTGRESQL_BACKWARD = [
    "DROP INDEX IF EXISTS search_entry_body_grams",
    "DROP FUNCTION IF EXISTS search_grams(text)",
]


def _run(statements: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0002_database_text_index")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}),
            elidable=False,
        ),
    ]
