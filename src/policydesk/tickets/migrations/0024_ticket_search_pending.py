"""`Ticket.search_pending`: a new ticket whose search entries the worker writes (issue 17,
docs/search.md), and the partial index by which the worker finds those tickets. A nullable column
without a default: SQLite adds it in place (ALTER TABLE ADD COLUMN), with no copy of the table;
every existing ticket has its entries already (None)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tickets", "0023_ticket_number_sequence")]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="search_pending",
            field=models.BooleanField(editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(search_pending=True), fields=["id"], name="ticket_search_pending"
            ),
        ),
    ]
