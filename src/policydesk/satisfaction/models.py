"""What customers said about a solved ticket: one survey per solve ("Were you satisfied?"),
opened when the ticket is solved, answered (and re-answered) within the window."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from policydesk.tickets.models import Person, Ticket


class SatisfactionSurvey(models.Model):
    """The question asked of a ticket's requester when it was solved, and their answer.

    `cycle` is the how-manieth solve of the ticket: a ticket reopened and solved again is asked
    again, in a new row. The plan, queue and agent are kept as they were at the solve, so the
    reports do not move when an organisation changes plan or a ticket is reassigned later."""

    class Rating(models.TextChoices):
        GOOD = "good", _("Good, I'm satisfied")
        BAD = "bad", _("Bad, I'm not satisfied")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="surveys")
    cycle = models.PositiveSmallIntegerField(_("solve"))
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")  # who is asked
    solved_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    agent = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    plan = models.CharField(_("plan"), max_length=64)
    office = models.CharField(_("queue"), max_length=64)
    asked_at = models.DateTimeField(_("asked"), db_index=True)
    rating = models.CharField(_("rating"), max_length=8, choices=Rating.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    changes = models.PositiveSmallIntegerField(default=0)  # answers after the first
    # The email's one-click links used so far ("good", "bad"): each works once.
    links_used = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["ticket", "cycle"], name="satisfaction_once_per_solve"),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} solve {self.cycle}: {self.rating or '-'}"
