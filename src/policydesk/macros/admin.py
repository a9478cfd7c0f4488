"""Macros in the Django admin: listed with their usage; saved and deleted through the actions
(the admin's checks are the console's, and each write leaves an audit row)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from policydesk.macros import actions
from policydesk.macros.models import Macro
from policydesk.tickets.actions import ActionError
from policydesk.tickets.admin_audit import acting_person, adopt
from policydesk.tickets.models import Person


class MacroAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Macro
        fields = (
            "title", "text_en", "text_ja", "scope", "team", "set_status", "set_priority",
            "set_assignee", "assign_to_me", "set_topic", "active",
        )  # fmt: skip

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            actions.check_fields(_fields(cleaned))
        except ActionError as refused:
            raise forms.ValidationError(str(refused)) from refused
        return cleaned


def _fields(data: dict[str, Any]) -> actions.MacroFields:
    return actions.MacroFields(
        title=data.get("title") or "", text_en=data.get("text_en") or "", text_ja=data.get("text_ja") or "",
        scope=data.get("scope") or Macro.Scope.PERSONAL, team=data.get("team"),
        set_status=data.get("set_status") or "", set_priority=data.get("set_priority") or "",
        set_assignee=data.get("set_assignee"), assign_to_me=bool(data.get("assign_to_me")),
        set_topic=data.get("set_topic") or "", active=bool(data.get("active")),
    )  # fmt: skip


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = MacroAdminForm
    list_display = ("title", "scope", "owner", "team", "active", "usage_count", "last_used_at")
    list_filter = ("scope", "active", "team")
    search_fields = ("title",)
    readonly_fields = ("usage_count", "last_used_at")

    def save_model(self, request: HttpRequest, obj: Macro, form: Any, change: bool) -> None:
        saved = actions.do_save_macro(
            macro=Macro.objects.get(pk=obj.pk) if change else None,
            fields=_fields(form.cleaned_data),
            actor=_actor(request),
            now=timezone.now(),
        )
        adopt(obj, saved)

    def delete_model(self, request: HttpRequest, obj: Macro) -> None:
        actions.do_delete_macro(macro=obj, actor=_actor(request), now=timezone.now())

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Macro]) -> None:
        for macro in queryset:
            self.delete_model(request, macro)


def _actor(request: HttpRequest) -> Person:
    person = acting_person(request)
    if person is None:
        raise PermissionDenied
    return person
