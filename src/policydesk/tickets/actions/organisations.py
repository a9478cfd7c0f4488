"""Organisations, their people and the desk's teams: created on the policy's plans, regions and
offices (C1, C4, C8, C9), one login per email (C14)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from policydesk.desk_policy import get_policy
from policydesk.tickets.actions.shared import ActionError
from policydesk.tickets.audit import record_audit_event
from policydesk.tickets.models import Organisation, Person, Team


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
    if Person.objects.filter(email__iexact=email).exists():
        raise ActionError(_("%(email)s already has an account") % {"email": email})
    if role == Person.Role.CUSTOMER and organisation is None:
        raise ActionError(_("a customer belongs to an organisation"))
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
