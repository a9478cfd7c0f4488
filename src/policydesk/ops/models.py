"""One row per running worker or SMTP listener, touched every few seconds (`heartbeats.py`).
Machinery, like presence: no audit row."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    class Kind(models.TextChoices):
        WORKER = "worker", _("task worker and SLA watch")
        SMTPD = "smtpd", _("SMTP listener")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Which process: "host:pid", unique, so each process keeps one row however often it beats.
    process = models.CharField(max_length=255, unique=True)
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["kind", "beat_at"], name="heartbeat_kind_beat")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.process} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
