"""PostgreSQL: no parallel workers for reads of `search_entry`, a property of the table.

Every read of the search's entries takes a few hundred rows by index: a term's newest matches
(LIMIT), a few hundred tickets' rows to score. The planner split them across parallel workers,
whose start costs more than they save (a one- or two-character word read from the gram index
20 ms instead of 1 on 2 busy CPUs; scoring 3-4x slower: BENCHMARKS.md). Until now each read
ran `SET LOCAL max_parallel_workers_per_gather = 0` in a transaction of its own: three more
statements a read, and a rule each new read had to remember. The table's `parallel_workers`
storage parameter says it once, for every read (tests/search/test_grams.py asks the planner)."""

from django.db import migrations


def _run(statement: str):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0003_search_gram_index")]

    operations = [
        migrations.RunPython(
            _run("ALTER TABLE search_entry SET (parallel_workers = 0)"),
            _run("ALTER TABLE search_entry RESET (parallel_workers)"),
            elidable=False,
        ),
    ]
