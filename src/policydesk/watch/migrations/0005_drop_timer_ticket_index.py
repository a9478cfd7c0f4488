"""Indexes that another index already serves, dropped (issue 17): a timer's ticket (it leads
the unique constraint).

Every index is one more b-tree page written by every new row: an intake wrote 66 pages to
SQLite's write-ahead log before this (80 with the search index). Look-ups by the column use the
index it leads. The index is dropped by name with `DROP INDEX` on both databases: an
`AlterField` would make SQLite copy the whole table (and drop its triggers, search 0002/0003).
The state changes as `AlterField` / `RemoveIndex` would have; going back creates the index again."""

from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0022_drop_indexes_other_indexes_serve'),
        ('watch', '0004_complete_plan_mark'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS watch_timer_ticket_id_861cc206',
                    'CREATE INDEX watch_timer_ticket_id_861cc206 ON watch_timer (ticket_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='timer',
                    name='ticket',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='watch_timers', to='tickets.ticket'),
                ),
            ],
        ),
    ]
