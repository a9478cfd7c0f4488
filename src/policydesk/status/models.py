"""The status page's records (C16): components, incidents and their timestamped updates,
email subscribers, and the P0 tickets linked to an incident.

Every write goes through `status/actions.py`.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from policydesk.tickets.models import Person, Ticket


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


class ComponentState(models.TextChoices):
    """What a component shows, derived from the unresolved incidents that affect it."""

    OPERATIONAL = "operational", _("Operational")
    DEGRADED = "degraded", _("Degraded performance")
    PARTIAL_OUTAGE = "partial-outage", _("Partial outage")
    MAJOR_OUTAGE = "major-outage", _("Major outage")


# The worst unresolved incident decides a component's state.
STATE_FOR_SEVERITY = {
    Severity.MINOR: ComponentState.DEGRADED,
    Severity.MAJOR: ComponentState.PARTIAL_OUTAGE,
    Severity.CRITICAL: ComponentState.MAJOR_OUTAGE,
}
SEVERITY_RANK = {Severity.MINOR: 1, Severity.MAJOR: 2, Severity.CRITICAL: 3}


class Component(models.Model):
    """A part of the product customers know by name: "Dashboards", "Sign-in", "API"."""

    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_ja = models.CharField(_("name in Japanese"), max_length=120, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        ordering = ("position", "name")
        verbose_name = _("component")
        verbose_name_plural = _("components")

    def __str__(self) -> str:
        return self.name

    def name_in(self, lang: str) -> str:
        return self.name_ja if lang == "ja" and self.name_ja else self.name


class Incident(models.Model):
    """Something engineering is working on, told to customers as it develops (C16)."""

    class State(models.TextChoices):
        INVESTIGATING = "investigating", _("Investigating")
        IDENTIFIED = "identified", _("Identified")
        MONITORING = "monitoring", _("Monitoring")
        RESOLVED = "resolved", _("Resolved")

    title = models.CharField(_("title"), max_length=200)
    title_ja = models.CharField(_("title in Japanese"), max_length=200, blank=True)
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.INVESTIGATING)
    components = models.ManyToManyField(
        Component, verbose_name=_("affected components"), blank=True, related_name="incidents"
    )
    created_by = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(_("started"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        ordering = ("-started_at", "-id")
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["resolved_at", "started_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_resolved(self) -> bool:
        return self.state == self.State.RESOLVED

    def title_in(self, lang: str) -> str:
        return self.title_ja if lang == "ja" and self.title_ja else self.title


class IncidentUpdate(models.Model):
    """One timestamped message on an incident, with the state it moved the incident to."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    state = models.CharField(_("state"), max_length=20, choices=Incident.State.choices)
    body = models.TextField(_("message"))
    body_ja = models.TextField(_("message in Japanese"), blank=True)
    author = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    posted_at = models.DateTimeField(_("posted"))
    # Set, in one conditional update, by the task that enqueues the subscriber emails:
    # a second run of that task finds it set and sends nothing.
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-posted_at", "-id")
        verbose_name = _("incident update")
        verbose_name_plural = _("incident updates")

    def __str__(self) -> str:
        return f"{self.incident} · {self.state} · {self.posted_at:%Y-%m-%d %H:%M}"

    def body_in(self, lang: str) -> str:
        return self.body_ja if lang == "ja" and self.body_ja else self.body


class Subscriber(models.Model):
    """An email address that asked for incident updates; emailed only once confirmed."""

    email = models.EmailField(_("email"), max_length=254)
    language = models.CharField(_("language"), max_length=8, default="en")
    created_at = models.DateTimeField(_("subscribed"))
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)

    class Meta:
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(Lower("email"), name="status_subscriber_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


class IncidentTicket(models.Model):
    """A P0 ticket whose customer was told that updates appear on this incident (C16)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="ticket_links")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="incident_links")
    linked_by = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    linked_at = models.DateTimeField(_("linked"))

    class Meta:
        verbose_name = _("linked ticket")
        verbose_name_plural = _("linked tickets")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["incident", "ticket"], name="status_incident_ticket_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.incident} ↔ {self.ticket}"
