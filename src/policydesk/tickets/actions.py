"""Every write to the desk: one transaction, one audit event, side effects on commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from policydesk.desk_policy import get_policy
from policydesk.tickets.models import AuditEvent, Organisation, Person, Team


class ActionError(ValueError):
    """An action refused: the message says why, in words for the person who asked."""


def _audit(now: datetime, actor: Person | None, action: str, subject: Any, **data: Any) -> None:
    AuditEvent.objects.create(
        at=now,
        actor=actor,
        action=action,
        subject_type=type(subject).__name__.lower(),
        subject_id=str(subject.pk),
        data=data,
    )


def do_create_team(*, name: str, kind: str, office: str, actor: Person | None, now: datetime) -> Team:
    """Create an office or Premium team; the office must exist in the policy (C4, C8)."""
    policy = get_policy()
    if office not in policy.offices:
        raise ActionError(f"unknown office {office!r}; the policy has {', '.join(policy.offices)}")
    with transaction.atomic():
        team = Team.objects.create(name=name, kind=kind, office=office)
        _audit(now, actor, "team.created", team, name=name, kind=kind, office=office)
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
        raise ActionError(f"unknown plan {plan!r}; the policy has {', '.join(policy.plans)}")
    if region not in policy.regions:
        raise ActionError(f"unknown region {region!r}; the policy has {', '.join(policy.regions)}")
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
        _audit(now, actor, "organisation.created", organisation, plan=plan, region=region)
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
        raise ActionError(f"{email} already has an account")
    if role == Person.Role.CUSTOMER and organisation is None:
        raise ActionError("a customer belongs to an organisation")
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
        _audit(now, actor, "person.created", person, role=role, email=email)
    return person
