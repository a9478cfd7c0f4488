"""Organisations, their people and the desk's teams: created on the policy's plans, regions and
offices (C1, C4, C8, C9), one login per email (C14)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from policydesk import display, languages
from policydesk.desk_policy import get_policy
from policydesk.tickets.actions.shared import ActionError
from policydesk.tickets.audit import record_audit_event
from policydesk.tickets.models import NOTIFICATION_FIELDS, Delivery, Organisation, Person, Team, email_is


def do_create_team(*, name: str, kind: str, office: str, actor: Person | None, now: datetime) -> Team:
    """Create an office or Premium team; the office must exist in the policy (C4, C8)."""
    policy = get_policy()
    if office not in policy.offices:
        raise ActionError(
            _("unknown office %(office)r; the policy has %(known)s")
            % {"office": office, "known": ", ".join(policy.offices)}
        )
    with transaction.atomic():
        team = Team.objects.create(name=name, kind=kind, office=office)
        record_audit_event(now, actor, "team.created", team, name=name, kind=kind, office=office)
    return team


def do_create_organisation(
    *,
    name: str,
    plan: str,
    region: str,
    actor: Person | None,
    now: datetime,
    account_executive: str = "",
    customer_success_manager: str = "",
    dedicated_team: Team | None = None,
    shares_tickets: bool = False,
) -> Organisation:
    """Create a customer organisation on a plan of the policy, in one of its regions (C1, C9)."""
    policy = get_policy()
    if plan not in policy.plans:
        raise ActionError(
            _("unknown plan %(plan)r; the policy has %(known)s")
            % {"plan": plan, "known": ", ".join(policy.plans)}
        )
    if region not in policy.regions:
        raise ActionError(
            _("unknown region %(region)r; the policy has %(known)s")
            % {"region": region, "known": ", ".join(policy.regions)}
        )
    with transaction.atomic():
        organisation = Organisation.objects.create(
            name=name,
            plan=plan,
            region=region,
            account_executive=account_executive,
            customer_success_manager=customer_success_manager,
            dedicated_team=dedicated_team,
            shares_tickets=shares_tickets,
            created_at=now,
        )
        record_audit_event(now, actor, "organisation.created", organisation, plan=plan, region=region)
    return organisation


def do_create_person(
    *,
    email: str,
    password: str | None,
    role: str,
    actor: Person | None,
    now: datetime,
    name: str = "",
    organisation: Organisation | None = None,
    teams: tuple[Team, ...] = (),
    language: str = "",
    time_zone: str = "",
) -> Person:
    """Create a person; the login email is unique whatever its case (C14)."""
    email = email.strip().lower()
    if Person.objects.filter(email_is(email)).exists():
        raise ActionError(_("%(email)s already has an account") % {"email": email})
    if role == Person.Role.CUSTOMER and organisation is None:
        raise ActionError(_("a customer belongs to an organisation"))
    language, time_zone = _checked_language(language), _checked_zone(time_zone)
    with transaction.atomic():
        person = Person.objects.create_user(
            email,
            password,
            role=role,
            name=name,
            organisation=organisation,
            language=language,
            time_zone=time_zone,
            is_staff=role in (Person.Role.LEAD, Person.Role.ADMIN),
            is_superuser=role == Person.Role.ADMIN,
            date_joined=now,
        )
        person.teams.set(teams)
        record_audit_event(now, actor, "person.created", person, role=role, email=email)
    return person


def do_update_profile(
    *,
    person: Person,
    actor: Person | None,
    now: datetime,
    language: str | None = None,
    time_zone: str | None = None,
    emails: Mapping[str, bool] | None = None,
    delivery: str | None = None,
) -> Person:
    """Change a person's own settings: language ('' = their browser's), time zone (an IANA name,
    '' = UTC), and for staff which notifications they want by email (`emails`, by Notification
    value) and how (`delivery`). Arguments left None stay as they are. Only the person or an
    admin may; one audit row names what changed, and nothing is written when nothing did."""
    if actor is not None and actor.pk != person.pk and actor.role != Person.Role.ADMIN:
        raise ActionError(_("only the person or an admin may change a profile"))
    changes: dict[str, Any] = {}
    if language is not None:
        changes["language"] = _checked_language(language)
    if time_zone is not None:
        changes["time_zone"] = _checked_zone(time_zone)
    for event, wanted in (emails or {}).items():
        if event not in NOTIFICATION_FIELDS:
            raise ActionError(_("unknown notification %(event)r") % {"event": event})
        changes[NOTIFICATION_FIELDS[event]] = bool(wanted)
    if delivery is not None:
        if delivery not in Delivery.values:
            raise ActionError(_("unknown delivery %(delivery)r") % {"delivery": delivery})
        changes["notify_delivery"] = delivery
    changed = {field: value for field, value in changes.items() if getattr(person, field) != value}
    if not changed:
        return person
    with transaction.atomic():
        Person.objects.filter(pk=person.pk).update(**changed)
        for field, value in changed.items():
            setattr(person, field, value)
        record_audit_event(now, actor, "person.profile_updated", person, **changed)
    return person


def _checked_language(language: str) -> str:
    """A profile's language: one the desk speaks (settings.LANGUAGES), or '' for the browser's."""
    if language and language not in languages.spoken():
        raise ActionError(
            _("unknown language %(language)r; the desk speaks %(known)s")
            % {"language": language, "known": ", ".join(languages.spoken())}
        )
    return language


def _checked_zone(time_zone: str) -> str:
    """A profile's time zone: an IANA name (display.is_known_zone), or '' for UTC."""
    time_zone = time_zone.strip()
    if time_zone and not display.is_known_zone(time_zone):
        raise ActionError(
            _("unknown time zone %(zone)r; use a name such as Asia/Singapore") % {"zone": time_zone}
        )
    return time_zone
