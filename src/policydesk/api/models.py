"""The API's records: personal API tokens."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from policydesk.tickets.models import Person


class ApiToken(models.Model):
    """A per-person API token; only its SHA-256 is stored."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12)  # shown to people to tell tokens apart
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table the tickets app created before tokens moved here (no data moved).
        db_table = "tickets_apitoken"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
