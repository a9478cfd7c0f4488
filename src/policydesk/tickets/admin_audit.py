"""How every app's admin writes (house style 3): a creation goes through the app's `do_*`
action, and every other edit (change, delete, a list's bulk delete) is recorded by
`AuditedAdmin` with the one audit helper, once, in the admin's own transaction. What the
admin only shows is a `ReadOnlyAdmin`. No admin builds an `AuditEvent` row by hand, and
tests/tickets/test_admin_audit.py fails on a registered admin that could write unrecorded."""

from __future__ import annotations

from typing import Any, TypeVar

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from policydesk.tickets.audit import record_audit_event
from policydesk.tickets.models import Person

_M = TypeVar("_M", bound=Model)


def acting_person(request: HttpRequest) -> Person | None:
    return request.user if isinstance(request.user, Person) else None


def adopt(target: Model, created: Model) -> None:
    """Make the admin's unsaved object the row an action created, so the admin logs and
    redirects to it as if it had saved it itself."""
    for field in created._meta.concrete_fields:
        setattr(target, field.attname, getattr(created, field.attname))
    target._state.adding = False
    target._state.db = created._state.db


def record_admin_edit(request: HttpRequest, obj: Model, verb: str, **data: Any) -> None:
    """The audit event of one admin edit: `<model>.<verb>` (`organisation.changed`), by the
    signed-in operator, now (the admin is an edge: its time is the clock's)."""
    record_audit_event(timezone.now(), acting_person(request), f"{obj._meta.model_name}.{verb}", obj, **data)


def changed_fields(form: forms.BaseForm, formsets: Any = ()) -> list[str]:
    """The names of the fields an edit changed, with the inlines that changed (by their prefix,
    `shifts`), never their values (a password field says only that it changed)."""
    inlines = [formset.prefix for formset in formsets if formset.has_changed()]
    return sorted([*form.changed_data, *inlines])


class AuditedAdmin(admin.ModelAdmin[_M]):
    """An admin whose edits each leave one audit event, like an action's.

    `<model>.created` (unless `created_by_action`: then `save_model` calls the action, which
    records it), `<model>.changed` with the changed fields, `<model>.deleted` per row. Django
    runs the change and delete pages in one transaction; the bulk delete gets one here."""

    created_by_action = False

    def audit_details(self, obj: _M) -> dict[str, Any]:
        """What else the audit event of an edit should say about `obj` (nothing by default)."""
        return {}

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # After the inlines are saved, so one event covers the whole edit.
        super().save_related(request, form, formsets, change)
        if change or not self.created_by_action:
            record_admin_edit(
                request,
                form.instance,
                "changed" if change else "created",
                fields=changed_fields(form, formsets),
                **self.audit_details(form.instance),
            )

    def delete_model(self, request: HttpRequest, obj: _M) -> None:
        with transaction.atomic():
            record_admin_edit(request, obj, "deleted", name=str(obj))
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[_M]) -> None:
        with transaction.atomic():
            for obj in queryset:
                record_admin_edit(request, obj, "deleted", name=str(obj))
            super().delete_queryset(request, queryset)


class ReadOnlyAdmin(admin.ModelAdmin[_M]):
    """An admin that only shows: the app's actions (and its console pages) make the writes."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
