"""Indexes that another index already serves, dropped (issue 17): an entry's message and
attachment (each has its unique constraint).
Why, and why by name and not by `AlterField`: tickets 0022."""

from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):

    dependencies = [
        ('search', '0004_search_entry_without_parallel_workers'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS search_entry_message_id_7215f4cb',
                    'CREATE INDEX search_entry_message_id_7215f4cb ON search_entry (message_id)',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS search_entry_attachment_id_2c5d379a',
                    'CREATE INDEX search_entry_attachment_id_2c5d379a ON search_entry (attachment_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='entry',
                    name='message',
                    field=models.ForeignKey(null=True, blank=True, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tickets.message'),
                ),
                migrations.AlterField(
                    model_name='entry',
                    name='attachment',
                    field=models.ForeignKey(null=True, blank=True, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tickets.attachment'),
                ),
            ],
        ),
    ]
