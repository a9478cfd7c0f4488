"""A macro: a canned reply in English and Japanese, with placeholders (`rendering.py`), and the
changes it makes to the ticket when applied (status, priority, assignee, request type, tags).

Written only through `actions.py` (do_save_macro, do_delete_macro, do_apply_macro)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from policydesk.tickets.models import Person, Team, Ticket


class Macro(models.Model):
    class Scope(models.TextChoices):
        PERSONAL = "personal", _("Personal (only me)")
        TEAM = "team", _("Team")
        SHARED = "shared", _("Shared (all staff)")

    title = models.CharField(_("title"), max_length=200)
    text_en = models.TextField(_("reply text (English)"), blank=True)
    text_ja = models.TextField(_("reply text (Japanese)"), blank=True)
    scope = models.CharField(_("scope"), max_length=20, choices=Scope.choices, default=Scope.PERSONAL)
    owner = models.ForeignKey(
        Person, verbose_name=_("owner"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="macros",
    )  # fmt: skip
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE, related_name="macros"
    )
    # The changes applied with the macro; blank / null / False: no change.
    set_status = models.CharField(
        _("set the status"), max_length=20, blank=True, choices=Ticket.Status.choices
    )
    set_priority = models.CharField(_("set the priority"), max_length=20, blank=True)
    set_assignee = models.ForeignKey(
        Person, verbose_name=_("assign to"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    assign_to_me = models.BooleanField(_("assign to the agent who applies it"), default=False)
    set_topic = models.CharField(_("set the request type"), max_length=64, blank=True)
    # Tags in their normal form (tickets/tags.py), separated by ", "; blank: none.
    add_tags = models.CharField(_("add the tags"), max_length=500, blank=True)
    remove_tags = models.CharField(_("remove the tags"), max_length=500, blank=True)
    active = models.BooleanField(_("active"), default=True)
    usage_count = models.PositiveIntegerField(_("times used"), default=0)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    created_by = models.ForeignKey(
        Person, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_by = models.ForeignKey(
        Person, verbose_name=_("updated by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering: ClassVar[list[str]] = ["title", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def tags_to_add(self) -> list[str]:
        return [name for name in self.add_tags.split(", ") if name]

    @property
    def tags_to_remove(self) -> list[str]:
        return [name for name in self.remove_tags.split(", ") if name]
