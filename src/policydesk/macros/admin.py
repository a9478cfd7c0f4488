"""Macros in the Django admin: listed with their usage; created through the action, changed and
deleted with the admin's audit (`tickets/admin_audit.py`); the form checks what the action checks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone

from policydesk.macros import actions
from policydesk.macros.models import Macro
from policydesk.tickets.actions import ActionError
from policydesk.tickets.admin_audit import AuditedAdmin, acting_person, adopt
from policydesk.tickets.tags import SEPARATORS


class MacroAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Macro
        fields = (
            "title", "text_en", "text_ja", "scope", "team", "set_status", "set_priority",
            "set_assignee", "assign_to_me", "set_topic", "add_tags", "remove_tags", "active",
        )  # fmt: skip

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        fields = _fields(cleaned)
        try:
            actions.check_fields(fields)
        except ActionError as refused:
            raise forms.ValidationError(str(refused)) from refused
        add, remove = fields.normalised_tags()  # stored in their normal form, as the action does
        cleaned["add_tags"], cleaned["remove_tags"] = ", ".join(add), ", ".join(remove)
        return cleaned


def _fields(data: dict[str, Any]) -> actions.MacroFields:
    return actions.MacroFields(
        title=data.get("title") or "", text_en=data.get("text_en") or "", text_ja=data.get("text_ja") or "",
        scope=data.get("scope") or Macro.Scope.PERSONAL, team=data.get("team"),
        set_status=data.get("set_status") or "", set_priority=data.get("set_priority") or "",
        set_assignee=data.get("set_assignee"), assign_to_me=bool(data.get("assign_to_me")),
        set_topic=data.get("set_topic") or "", active=bool(data.get("active")),
        add_tags=tuple(_tag_list(data.get("add_tags"))),
        remove_tags=tuple(_tag_list(data.get("remove_tags"))),
    )  # fmt: skip


def _tag_list(text: str | None) -> list[str]:
    """The tags typed in the admin (commas or spaces); a bad one is kept for check_fields to refuse."""
    return [name for name in SEPARATORS.split(text or "") if name]


@admin.register(Macro)
class MacroAdmin(AuditedAdmin[Macro]):
    """Created through `do_save_macro` (its checks and audit row); a change or a deletion is
    recorded by `AuditedAdmin`, checked by the form (`check_fields`) as the action checks it."""

    form = MacroAdminForm
    created_by_action = True
    list_display = ("title", "scope", "owner", "team", "active", "usage_count", "last_used_at")
    list_filter = ("scope", "active", "team")
    search_fields = ("title",)
    readonly_fields = ("usage_count", "last_used_at")

    def save_model(self, request: HttpRequest, obj: Macro, form: Any, change: bool) -> None:
        if change:
            obj.updated_by, obj.updated_at = acting_person(request), timezone.now()
            super().save_model(request, obj, form, change)
            return
        actor = acting_person(request)
        if actor is None:
            raise PermissionDenied
        created = actions.do_save_macro(
            macro=None, fields=_fields(form.cleaned_data), actor=actor, now=timezone.now()
        )
        adopt(obj, created)
