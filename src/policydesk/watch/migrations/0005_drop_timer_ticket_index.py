"""Indexes that another index already serves, dropped (issue 17): a timer's ticket (it leads the
unique constraint).
Why, and why by name and not by `AlterField`: tickets 0022."""

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
