"""Indexes that another index already serves, dropped (issue 17): a ticket's organisation,
requester and assignee (each leads an index of Meta), and a metric event's ticket (it leads the
unique constraint).

Every index is one more b-tree page written by every new row: an intake wrote 66 pages to
SQLite's write-ahead log before this (80 with the search index). Look-ups by the column use the
index it leads. The index is dropped by name with `DROP INDEX` on both databases: an
`AlterField` would make SQLite copy the whole table (and drop its triggers, search 0002/0003).
The state changes as `AlterField` / `RemoveIndex` would have; going back creates the index again."""

from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0021_person_search_fts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS tickets_ticket_organisation_id_46625674',
                    'CREATE INDEX tickets_ticket_organisation_id_46625674 ON tickets_ticket (organisation_id)',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS tickets_ticket_requester_id_2072a2f2',
                    'CREATE INDEX tickets_ticket_requester_id_2072a2f2 ON tickets_ticket (requester_id)',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS tickets_ticket_assignee_id_3a5aa407',
                    'CREATE INDEX tickets_ticket_assignee_id_3a5aa407 ON tickets_ticket (assignee_id)',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS tickets_metricevent_ticket_id_f91d188b',
                    'CREATE INDEX tickets_metricevent_ticket_id_f91d188b ON tickets_metricevent (ticket_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='ticket',
                    name='organisation',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='tickets', to='tickets.organisation'),
                ),
                migrations.AlterField(
                    model_name='ticket',
                    name='requester',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='requested_tickets', to='tickets.person'),
                ),
                migrations.AlterField(
                    model_name='ticket',
                    name='assignee',
                    field=models.ForeignKey(null=True, blank=True, db_index=False, on_delete=django.db.models.deletion.SET_NULL, related_name='assigned_tickets', to='tickets.person'),
                ),
                migrations.AlterField(
                    model_name='metricevent',
                    name='ticket',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='metric_events', to='tickets.ticket'),
                ),
            ],
        ),
    ]
