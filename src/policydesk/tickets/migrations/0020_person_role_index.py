"""An index on people's role (issue 17): the staff lists (assignees, the assignee filter, SLA
alerts' leads, a note's @mentions) read the few hundred staff among a million customers through
it, where they read every person (tests/tickets/test_people_lookups_use_indexes.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0019_person_search_trigram_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["role"], name="person_role"),
        ),
    ]
