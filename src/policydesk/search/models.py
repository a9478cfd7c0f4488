"""The search index: one row per searchable piece of a ticket, in the database's own indexes
(SQLite: the FTS5 tables `search_fts`, trigrams, and `search_gram_fts`, one- and two-character
grams, kept by triggers; PostgreSQL: GIN indexes on `body`'s trigrams and on
`search_grams(body)`). Written only by `policydesk.search.indexing`, inside the transaction of
the write it follows."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from policydesk.tickets.models import Attachment, Message, Ticket


class Entry(models.Model):
    """A piece of `ticket` people can search: `original` as received (for the snippet), `body`
    normalised (`normalise.normalise`, what the index holds). `internal`: staff only."""

    class Kind(models.TextChoices):
        SUBJECT = "subject"
        MESSAGE = "message"
        ATTACHMENT = "attachment"
        REQUESTER = "requester"
        ORGANISATION = "organisation"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Indexed by their unique constraints (Meta), not twice (issue 17).
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    attachment = models.ForeignKey(
        Attachment, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    internal = models.BooleanField(default=False)
    original = models.TextField()
    body = models.TextField()

    class Meta:
        db_table = "search_entry"
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["ticket", "kind"],
                condition=models.Q(kind__in=["subject", "requester", "organisation"]),
                name="search_entry_one_per_ticket_field",
            ),
            models.UniqueConstraint(fields=["message"], name="search_entry_one_per_message"),
            models.UniqueConstraint(fields=["attachment"], name="search_entry_one_per_attachment"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of ticket {self.ticket_id}"
