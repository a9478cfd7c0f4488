"""The Django admin for the desk's operators: organisations, people (email login), teams and
the read-only audit log (API tokens are in api/admin.py).

Creation goes through the `do_*` actions, so the admin checks what the intake paths check
(plans, regions and offices of the policy; one login per email, C14) and leaves an audit event;
changes, password changes and deletions are recorded by `admin_audit.AuditedAdmin`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from policydesk import display
from policydesk.desk_policy import get_policy
from policydesk.tickets import actions
from policydesk.tickets.admin_audit import (
    AuditedAdmin,
    ReadOnlyAdmin,
    acting_person,
    adopt,
    record_admin_edit,
)
from policydesk.tickets.models import (
    AuditEvent,
    Organisation,
    OutsideCopy,
    Person,
    SavedView,
    Tag,
    Team,
    email_is,
)


def _plan_choices() -> list[tuple[str, str]]:
    return [(ident, plan.name.en) for ident, plan in get_policy().plans.items()]


def _region_choices() -> list[tuple[str, str]]:
    return [(ident, ident) for ident in get_policy().regions]


def _office_choices() -> list[tuple[str, str]]:
    return [(ident, ident) for ident in get_policy().offices]


class OrganisationForm(forms.ModelForm[Organisation]):
    # Choices come from the policy file, read when the form is shown (C1, C9).
    plan = forms.ChoiceField(label=_("plan"), choices=_plan_choices)
    region = forms.ChoiceField(label=_("region"), choices=_region_choices)

    class Meta:
        model = Organisation
        fields = (
            "name",
            "plan",
            "region",
            "account_executive",
            "customer_success_manager",
            "dedicated_team",
            "shares_tickets",
        )


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin[Organisation]):
    form = OrganisationForm
    created_by_action = True
    list_display = ("name", "plan", "region", "dedicated_team", "shares_tickets", "created_at")
    list_filter = ("plan", "region", "shares_tickets")
    search_fields = ("name", "account_executive", "customer_success_manager")
    list_select_related = ("dedicated_team",)

    def save_model(self, request: HttpRequest, obj: Organisation, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        created = actions.do_create_organisation(
            name=data["name"],
            plan=data["plan"],
            region=data["region"],
            account_executive=data["account_executive"],
            customer_success_manager=data["customer_success_manager"],
            dedicated_team=data["dedicated_team"],
            shares_tickets=data["shares_tickets"],
            actor=acting_person(request),
            now=timezone.now(),
        )
        adopt(obj, created)


class TeamForm(forms.ModelForm[Team]):
    office = forms.ChoiceField(label=_("office"), choices=_office_choices)

    class Meta:
        model = Team
        fields = ("name", "kind", "office")


@admin.register(Team)
class TeamAdmin(AuditedAdmin[Team]):
    form = TeamForm
    created_by_action = True
    list_display = ("name", "kind", "office")
    list_filter = ("kind", "office")
    search_fields = ("name",)

    def save_model(self, request: HttpRequest, obj: Team, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        created = actions.do_create_team(
            name=data["name"],
            kind=data["kind"],
            office=data["office"],
            actor=acting_person(request),
            now=timezone.now(),
        )
        adopt(obj, created)


def _clean_zone(form: forms.ModelForm[Person]) -> str:
    """The time zone field: an IANA name or empty, as actions.do_update_profile accepts."""
    zone = str(form.cleaned_data.get("time_zone") or "").strip()
    if zone and not display.is_known_zone(zone):
        raise forms.ValidationError(
            gettext("%(zone)s is not a time zone we know; use a name such as Asia/Singapore.")
            % {"zone": zone}
        )
    return zone


class PersonCreationForm(AdminUserCreationForm):
    class Meta:
        model = Person
        fields = ("email", "name", "role", "organisation", "language", "time_zone")

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"]).strip().lower()
        if Person.objects.filter(email_is(email)).exists():  # C14: one login per email
            raise forms.ValidationError(gettext("%(email)s already has an account.") % {"email": email})
        return email

    def clean_time_zone(self) -> str:
        return _clean_zone(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("role") == Person.Role.CUSTOMER and not data.get("organisation"):
            self.add_error("organisation", gettext("A customer belongs to an organisation."))
        return data


class PersonChangeForm(UserChangeForm[Person]):
    class Meta:
        model = Person
        fields = "__all__"

    def clean_time_zone(self) -> str:
        return _clean_zone(self)


@admin.register(Person)
class PersonAdmin(AuditedAdmin[Person], UserAdmin):  # type: ignore[type-arg]  # stubs want an AbstractUser; Person has no username
    """People sign in with their email (C14); there is no username."""

    created_by_action = True
    form = PersonChangeForm
    add_form = PersonCreationForm
    add_form_template = None  # Django's template speaks of a username
    ordering = ("email",)
    list_display = ("email", "name", "role", "organisation", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_staff", "teams")
    search_fields = ("email", "name", "organisation__name")
    list_select_related = ("organisation",)
    filter_horizontal = ("teams", "groups", "user_permissions")
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("name", "role", "organisation", "teams", "language", "time_zone")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "name",
                    "role",
                    "organisation",
                    "language",
                    "time_zone",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        created = actions.do_create_person(
            email=data["email"],
            password=data.get("password1") if data.get("set_usable_password") else None,
            role=data["role"],
            name=data["name"],
            organisation=data["organisation"],
            language=data["language"],
            time_zone=data["time_zone"],
            actor=acting_person(request),
            now=timezone.now(),
        )
        adopt(obj, created)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        """Django's password page, in one transaction with its audit event (`person.changed`,
        fields ["password"]): recorded when the stored hash changed, whatever the page answered."""
        with transaction.atomic():
            before = self.get_object(request, unquote(id))
            response = super().user_change_password(request, id, form_url)
            person = self.get_object(request, unquote(id))
            if before is not None and person is not None and person.password != before.password:
                record_admin_edit(request, person, "changed", fields=["password"])
        return response


# Groups and their permissions decide what staff may do in the admin: their edits are recorded too.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedAdmin[Group], DjangoGroupAdmin):
    pass


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin[AuditEvent]):
    """The audit log: read only, for everyone."""

    list_display = ("at", "action", "actor", "subject_type", "subject_id")
    list_filter = ("action", "subject_type")
    search_fields = ("subject_id", "actor__email", "action")
    list_select_related = ("actor",)
    date_hierarchy = "at"


@admin.register(Tag)
class TagAdmin(ReadOnlyAdmin[Tag]):
    """Tickets' tags, with how many tickets carry each: set in the console and the API
    (`actions.do_set_tags`); a tag's tickets are its `tickets` relation."""

    list_display = ("name", "ticket_count", "created_at")
    search_fields = ("name",)
    ordering = ("name",)

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).annotate(ticket_count=Count("tickets"))

    @admin.display(description=_("tickets"), ordering="ticket_count")
    def ticket_count(self, tag: Tag) -> int:
        return int(getattr(tag, "ticket_count", 0))


@admin.register(SavedView)
class SavedViewAdmin(ReadOnlyAdmin[SavedView]):
    """Queue views staff saved in the console (`actions.do_save_view`)."""

    list_display = ("name", "owner", "shared", "queue", "query", "updated_at")
    list_filter = ("shared", "queue")
    search_fields = ("name", "owner__email")
    list_select_related = ("owner",)


@admin.register(OutsideCopy)
class OutsideCopyAdmin(ReadOnlyAdmin[OutsideCopy]):
    """Addresses outside a ticket's organisation copied on it where the policy allows: added and
    removed in the portal, the console and the API (`actions.do_add_outside_copy`), audited there."""

    list_display = ("address", "ticket", "added_by", "created_at")
    search_fields = ("address", "ticket__number")
    list_select_related = ("ticket", "added_by")
