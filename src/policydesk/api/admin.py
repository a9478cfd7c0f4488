"""API tokens in the Django admin: minted here (the secret is shown once) and revoked, never
edited; both through the actions in tokens.py, so each leaves an audit event."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from policydesk.api.models import ApiToken
from policydesk.api.tokens import do_create_api_token, do_revoke_api_token
from policydesk.tickets.admin_audit import AuditedAdmin, acting_person, adopt


class ApiTokenForm(forms.ModelForm[ApiToken]):
    class Meta:
        model = ApiToken
        fields = ("person", "name")


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin[ApiToken]):
    """Tokens are minted here (the secret is shown once, then only its digest is kept) and
    revoked, never edited."""

    created_by_action = True
    form = ApiTokenForm
    list_display = ("name", "prefix", "person", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "person__email")
    list_select_related = ("person",)
    autocomplete_fields = ("person",)
    readonly_fields = ("person", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    actions = ("revoke",)

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> Any:
        return () if obj is None else self.readonly_fields

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> Any:
        return ("person", "name") if obj is None else self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False  # revoke instead: the row says who had access, and until when

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        minted = do_create_api_token(
            person=form.cleaned_data["person"],
            name=form.cleaned_data["name"],
            actor=acting_person(request),
            now=timezone.now(),
        )
        adopt(obj, minted.token)
        messages.warning(
            request,
            gettext("Copy the new token now, it will not be shown again: %(secret)s")
            % {"secret": minted.secret},
        )

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        now = timezone.now()
        for token in queryset.filter(revoked_at__isnull=True):
            do_revoke_api_token(token=token, actor=acting_person(request), now=now)
        messages.success(request, gettext("The selected tokens are revoked."))
