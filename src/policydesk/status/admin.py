"""Read-only admin views of the status page: writes go through `status/actions.py` (and its
console page, /status/manage/), so every change has its audit event and its emails."""

from __future__ import annotations

from django.contrib import admin

from policydesk.status.models import Component, Incident, IncidentTicket, IncidentUpdate, Subscriber
from policydesk.tickets.admin_audit import ReadOnlyAdmin


class UpdateInline(admin.TabularInline):  # type: ignore[type-arg]
    model = IncidentUpdate
    fields = ("posted_at", "state", "body", "author")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Component)
class ComponentAdmin(ReadOnlyAdmin[Component]):
    list_display = ("name", "name_ja", "slug", "position")


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin[Incident]):
    list_display = ("title", "severity", "state", "started_at", "resolved_at")
    list_filter = ("state", "severity")
    search_fields = ("title", "title_ja")
    inlines = (UpdateInline,)


@admin.register(Subscriber)
class SubscriberAdmin(ReadOnlyAdmin[Subscriber]):
    list_display = ("email", "language", "created_at", "confirmed_at", "unsubscribed_at")
    search_fields = ("email",)


@admin.register(IncidentTicket)
class IncidentTicketAdmin(ReadOnlyAdmin[IncidentTicket]):
    list_display = ("incident", "ticket", "linked_by", "linked_at")
    list_select_related = ("incident", "ticket", "linked_by")
