"""SLA warnings and breaches: who is told, when (office hours), and what the email says.

Recipients: the assignee, else the handling office's team (for Premium, handled globally
(C9): the organisation's dedicated team (C4), else every Premium team); leads too on a
breach. A person is told inside the hours of their own office (the offices of their
teams; the ticket's office or calendar if they have none): a moment outside them is
held until the next opening, except for mission-critical tickets (C6), which run 24x7.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy

from policydesk import languages, sla
from policydesk.desk_policy import mission_critical_promises, plan_name
from policydesk.display import format_instant, format_time_left
from policydesk.mail.models import OutgoingMail
from policydesk.mail.outgoing import Email, compose
from policydesk.policy.model import GLOBAL, Policy
from policydesk.tickets.models import Person, Team, Ticket
from policydesk.watch import config

STAFF_ROLES = (Person.Role.AGENT, Person.Role.LEAD, Person.Role.ADMIN)


def _unique(people: list[Person]) -> list[Person]:
    seen: set[int] = set()
    kept = []
    for person in people:
        if person.pk not in seen and person.is_active:
            seen.add(person.pk)
            kept.append(person)
    return kept


def leads() -> list[Person]:
    return list(Person.objects.filter(role=Person.Role.LEAD, is_active=True).order_by("id"))


def _in_hours(calendar: sla.Calendar, moment: datetime) -> bool:
    # A moment exactly on a closing time (a due "stays at that closing time", C8) is in hours.
    return sla.is_open(calendar, moment) or sla.is_open(calendar, moment - timedelta(seconds=1))


class Directory:
    """Who works where, looked up once per batch of timers (not once per recipient)."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._leads: list[Person] | None = None
        self._members: dict[tuple[str, int | None], list[Person]] = {}
        self._offices: dict[int, list[str]] = {}

    def leads(self) -> list[Person]:
        if self._leads is None:
            self._leads = leads()
        return self._leads

    def team_members(self, ticket: Ticket) -> list[Person]:
        """The people who work the ticket's queue (C4, C9)."""
        dedicated = ticket.organisation.dedicated_team_id if ticket.office == GLOBAL else None
        key = (ticket.office, dedicated)
        if key not in self._members:
            if ticket.office != GLOBAL:
                teams = Team.objects.filter(office=ticket.office)
            elif dedicated:
                teams = Team.objects.filter(pk=dedicated)
            else:
                teams = Team.objects.filter(kind=Team.Kind.PREMIUM)
            self._members[key] = list(
                Person.objects.filter(teams__in=teams, role__in=STAFF_ROLES, is_active=True)
                .distinct()
                .order_by("id")
            )
        return self._members[key]

    def recipients(self, ticket: Ticket, kind: str) -> list[Person]:
        """Who hears of a warning or breach: the assignee, else the team; leads too on a breach."""
        people = [ticket.assignee] if ticket.assignee is not None else list(self.team_members(ticket))
        if kind == "breach":
            people += self.leads()
        return _unique(people)

    def offices_of(self, person: Person) -> list[str]:
        if person.pk not in self._offices:
            offices = {team.office for team in person.teams.all()}
            self._offices[person.pk] = sorted(offices & set(self.policy.offices))
        return self._offices[person.pk]

    def deliver_after(self, ticket: Ticket, person: Person, moment: datetime) -> datetime:
        """When `person` may be told of `moment`: at once inside their office hours, else at
        their next opening; mission-critical at once (C6, 24x7)."""
        if ticket.mission_critical:
            return moment
        policy = self.policy
        calendars: list[sla.Calendar] = [policy.offices[o].calendar for o in self.offices_of(person)]
        if not calendars:
            fallback = policy.offices.get(ticket.office)
            calendar = fallback.calendar if fallback else policy.calendar(ticket.calendar)
            if calendar is None:
                return moment
            calendars = [calendar]
        if any(_in_hours(calendar, moment) for calendar in calendars):
            return moment
        return min(sla.next_open(calendar, moment) for calendar in calendars)


#: How an alert names each metric but the first response (whose emails say "first response").
METRIC_NAMES = {
    "next_reply": gettext_lazy("next reply"),
    "periodic_update": gettext_lazy("periodic update"),
    "resolution": gettext_lazy("resolution"),
}
FIRST_RESPONSE = "first_response"


@dataclass(frozen=True)
class Notice:
    """A warning or breach of one metric instance of one ticket, as an email tells it."""

    ticket: Ticket
    kind: str
    metric: str = FIRST_RESPONSE
    cycle: int = 1
    due: datetime | None = None  # the instance's due as planned; the first response's is the ticket's

    @property
    def due_at(self) -> datetime | None:
        return self.ticket.first_response_due if self.metric == FIRST_RESPONSE else self.due


def _alert_context(notice: Notice, person: Person, lang: str, now: datetime) -> dict[str, Any]:
    """What an alert says of one ticket's metric, for `person` (their language and zone)."""
    ticket = notice.ticket
    with translation.override(lang):  # the time left and the metric are worded in the active language
        left = format_time_left(notice.due_at, now)
        metric_name = str(METRIC_NAMES.get(notice.metric, ""))
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "metric": notice.metric,
        "metric_name": metric_name,
        "due": format_instant(notice.due_at, person.time_zone, lang),
        "left": left,
        "organisation": ticket.organisation.name,
        "plan": plan_name(ticket.organisation.plan, lang),
        "assignee": ticket.assignee.email if ticket.assignee else gettext_lazy("nobody"),
        "url": config.ticket_url(ticket.number),
    }


def sla_email(notice: Notice, person: Person, now: datetime) -> Email:
    """The warning or breach email for `person`, in their language, times in their zone.
    Staff alerts are plain text: read in a hurry, often on a pager or a phone."""
    lang = languages.choose(person.language)
    ticket, kind = notice.ticket, notice.kind
    context = {
        **_alert_context(notice, person, lang, now),
        "breach": kind == "breach",
        "mission_critical": ticket.mission_critical,
        "promises": mission_critical_promises(lang) if ticket.mission_critical else "",
    }
    return compose(
        "watch/email/sla_alert", context,
        kind=OutgoingMail.Kind.SLA_BREACH if kind == "breach" else OutgoingMail.Kind.SLA_WARNING,
        recipient=person.email, language=lang, person=person, ticket=ticket,
    )  # fmt: skip


def digest_email(person: Person, notified: list[Notice], now: datetime) -> Email:
    """One email for the warnings and breaches (a ticket's metric once) that fired for `person`
    together: overdue first, each by due time, in their language and zone."""
    lang = languages.choose(person.language)

    def by_due(notices: list[Notice]) -> list[Notice]:
        return sorted(notices, key=lambda n: (n.due_at or now, n.ticket.number, n.metric))

    overdue = by_due([notice for notice in notified if notice.kind == "breach"])
    soon = by_due([notice for notice in notified if notice.kind != "breach"])
    groups = [
        {
            "breach": breach,
            "count": len(notices),
            "tickets": [_alert_context(notice, person, lang, now) for notice in notices],
        }
        for breach, notices in ((True, overdue), (False, soon))
        if notices
    ]
    context = {
        "count": len(notified), "overdue": len(overdue), "soon": len(soon), "groups": groups,
        "first_response_only": all(notice.metric == FIRST_RESPONSE for notice in notified),
    }  # fmt: skip
    return compose(
        "watch/email/sla_digest", context, kind=OutgoingMail.Kind.SLA_DIGEST, recipient=person.email,
        language=lang, person=person,
    )  # fmt: skip


def notification_email(person: Person, notified: list[Notice], now: datetime) -> Email:
    """The email for what one delivery carries: a ticket's own email if it is about one metric of
    one ticket (its breach, if both its warning and its breach are in it), else a digest."""
    worst: dict[tuple[int, str, int], Notice] = {}
    for notice in notified:
        key = (notice.ticket.pk, notice.metric, notice.cycle)
        if key not in worst or notice.kind == "breach":
            worst[key] = notice
    if len(worst) == 1:
        return sla_email(next(iter(worst.values())), person, now)
    return digest_email(person, list(worst.values()), now)
