"""Indexes that another index already serves, dropped (issue 17): an outgoing mail's recipient,
and (recipient, kind, created_at); `mail_out_rate_limit` (recipient, status, created_at) leads
with the recipient and is the one the rate-limit count reads.

Every index is one more b-tree page written by every new row: an intake wrote 66 pages to
SQLite's write-ahead log before this (80 with the search index). The recipient's index is
dropped by name (on PostgreSQL with its `_like` companion, which only a `startswith` look-up
would read, and none is made): an `AlterField` would make SQLite copy the whole table. The
state changes as `AlterField` would have; going back creates the indexes again."""

from django.db import migrations, models

RECIPIENT = "mail_outgoingmail_recipient_90b58fa1"


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    schema_editor.execute(f"DROP INDEX IF EXISTS {RECIPIENT}")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {RECIPIENT}_like")


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    schema_editor.execute(f"CREATE INDEX {RECIPIENT} ON mail_outgoingmail (recipient)")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {RECIPIENT}_like ON mail_outgoingmail (recipient varchar_pattern_ops)"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('mail', '0011_outgoing_mail_claim_token'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='outgoingmail',
            name='mail_outgoi_recipie_77862e_idx',
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, create)],
            state_operations=[
                migrations.AlterField(
                    model_name='outgoingmail',
                    name='recipient',
                    field=models.CharField(max_length=320),
                ),
            ],
        ),
    ]
