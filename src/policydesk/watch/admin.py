"""The admin: the on-call rota per week (edited here, C6, each edit recorded by the audit
helper), and read-only views of pages, timers and deliveries for operators who want to see
what the watch did."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from policydesk.tickets.admin_audit import AuditedAdmin, ReadOnlyAdmin
from policydesk.tickets.models import Person
from policydesk.watch import config
from policydesk.watch.models import Delivery, DeliveryItem, OnCallShift, OnCallWeek, Page, Timer
from policydesk.watch.notify import STAFF_ROLES


class OnCallShiftInline(admin.TabularInline[OnCallShift, OnCallWeek]):
    model = OnCallShift
    extra = 2
    ordering = ("order",)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "person":
            kwargs["queryset"] = Person.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by("email")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class OnCallWeekForm(ModelForm[OnCallWeek]):
    class Meta:
        model = OnCallWeek
        fields = ("week_start",)

    def clean_week_start(self) -> Any:
        value = self.cleaned_data["week_start"]
        if value is not None and value.weekday() != 0:
            raise ValidationError(
                _("An on-call week starts on a Monday (in %(zone)s)."),
                params={"zone": config.oncall_time_zone()},
            )
        return value


@admin.register(OnCallWeek)
class OnCallWeekAdmin(AuditedAdmin[OnCallWeek]):
    form = OnCallWeekForm
    inlines = (OnCallShiftInline,)
    list_display = ("week_start", "people")
    date_hierarchy = "week_start"

    @admin.display(description=_("on call, in escalation order"))
    def people(self, week: OnCallWeek) -> str:
        return ", ".join(self._on_call(week))

    def audit_details(self, obj: OnCallWeek) -> dict[str, Any]:
        # Who is paged, in order, is the fact an operator needs when reading the log back.
        return {"week_start": obj.week_start.isoformat(), "on_call": self._on_call(obj)}

    @staticmethod
    def _on_call(week: OnCallWeek) -> list[str]:
        return [shift.person.email for shift in week.shifts.select_related("person")]


@admin.register(Page)
class PageAdmin(ReadOnlyAdmin[Page]):
    list_display = ("ticket", "state", "level", "opened_at", "acknowledged_by", "acknowledged_at")
    list_filter = ("state",)
    list_select_related = ("ticket", "acknowledged_by")


@admin.register(Timer)
class TimerAdmin(ReadOnlyAdmin[Timer]):
    list_display = ("ticket", "kind", "level", "fire_at", "state", "fired_at", "policy_version")
    list_filter = ("kind", "state")
    list_select_related = ("ticket",)
    date_hierarchy = "fire_at"


class DeliveryItemInline(admin.TabularInline[DeliveryItem, Delivery]):
    model = DeliveryItem
    fields = ("ticket", "kind", "moment", "deliver_after")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin[Delivery]):
    inlines = (DeliveryItemInline,)
    list_display = (
        "key", "kind", "channel", "recipient", "digest", "notifications", "moment", "deliver_after", "state",
        "sent_at",
    )  # fmt: skip
    list_filter = ("kind", "channel", "digest", "state")
    list_select_related = ("recipient",)
    search_fields = ("key",)
