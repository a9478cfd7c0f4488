# API tokens moved to the api app (its 0001 takes the model over with the same table):
# only Django's state changes here, no table is touched.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0003_open_ticket_queue_indexes"),
        ("api", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ApiToken")],
            database_operations=[],
        ),
    ]
