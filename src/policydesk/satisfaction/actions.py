"""The satisfaction survey's writes: a survey opened when a ticket is solved (inside the solving
action's transaction, `receivers`), and the customer's answer (`do_rate`), which can reopen the
ticket through the ticket's own action."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from policydesk.satisfaction import window
from policydesk.satisfaction.models import SatisfactionSurvey
from policydesk.tickets.actions import ActionError, do_customer_reopen
from policydesk.tickets.audit import record_audit_event
from policydesk.tickets.models import Person, Ticket

#: The longest comment kept: a comment is a few sentences, not a new request.
MAX_COMMENT = 2000


def open_survey(ticket: Ticket, solved_by: Person | None, now: datetime) -> SatisfactionSurvey:
    """The survey of this solve of `ticket` (the next cycle), inside the solve's transaction,
    which holds the ticket's row: two solves cannot take the same cycle. No audit row of its
    own: it is a consequence of the solve, which is audited."""
    return open_surveys([(ticket, solved_by, now)])[0]


def open_surveys(solves: Sequence[tuple[Ticket, Person | None, datetime]]) -> list[SatisfactionSurvey]:
    """`open_survey` of each (ticket, solved by, at) of `solves`, in two queries whatever their
    number (a bulk solve's chunk; each ticket's row is held by its solve). A ticket solved
    twice among them gets two cycles, in order. The tickets' organisations and requesters are
    read from them as loaded."""
    last = dict(
        SatisfactionSurvey.objects.filter(ticket_id__in={ticket.pk for ticket, _, _ in solves})
        .values("ticket_id")
        .annotate(last=Max("cycle"))
        .values_list("ticket_id", "last")
        .order_by()
    )
    surveys = []
    for ticket, solved_by, now in solves:
        last[ticket.pk] = cycle = (last.get(ticket.pk) or 0) + 1
        survey = SatisfactionSurvey(
            ticket=ticket, cycle=cycle, person=ticket.requester, solved_by=solved_by,
            agent_id=ticket.assignee_id, plan=ticket.organisation.plan, office=ticket.office, asked_at=now,
        )  # fmt: skip
        surveys.append(survey)
    return SatisfactionSurvey.objects.bulk_create(surveys)


def latest_survey(ticket: Ticket, *, with_people: bool = False) -> SatisfactionSurvey | None:
    """The survey of the ticket's latest solve, if it was ever solved (`with_people`: who solved
    it read in the same query)."""
    surveys = SatisfactionSurvey.objects.filter(ticket=ticket)
    if with_people:
        surveys = surveys.select_related("solved_by")
    return surveys.order_by("-cycle").first()


def do_rate(
    *,
    survey: SatisfactionSurvey,
    person: Person,
    rating: str,
    comment: str,
    now: datetime,
    link: str = "",
    reopen: bool = False,
) -> SatisfactionSurvey:
    """`person` answers `survey` (or changes their answer) while its window is open.

    `link`: the answer of the email link used ("good" or "bad"), which works once; "" from the
    help center, signed in. `reopen`: with a bad rating, the customer wants more help on the
    ticket: it is reopened (`do_customer_reopen`) if this is its latest solve and it is still
    solved."""
    if rating not in SatisfactionSurvey.Rating.values:
        raise ActionError(_("Choose good or bad."))
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise ActionError(
            _("The comment is too long: at most %(count)d characters.") % {"count": MAX_COMMENT}
        )
    if reopen and rating != SatisfactionSurvey.Rating.BAD:
        raise ActionError(_("A ticket is reopened only with a bad rating."))
    with transaction.atomic():
        survey = SatisfactionSurvey.objects.select_for_update().select_related("ticket").get(pk=survey.pk)
        if person.pk != survey.person_id:
            raise ActionError(_("This survey was sent to someone else."))
        if not window.is_open(survey, now):
            raise ActionError(_("The time to answer this survey has passed."))
        if link:
            if link in survey.links_used:
                raise ActionError(
                    _("This link was already used. You can change your answer on your request's page.")
                )
            survey.links_used = [*survey.links_used, link]
        before = survey.rating
        if before and (before != rating or survey.comment != comment):
            survey.changes += 1
        survey.rating, survey.comment, survey.answered_at = rating, comment, now
        survey.save(update_fields=["rating", "comment", "answered_at", "changes", "links_used"])
        record_audit_event(
            now, person, "satisfaction.rated", survey, ticket=survey.ticket.number, cycle=survey.cycle,
            rating=rating, before=before or None, via="email link" if link else "help center",
            reopen=reopen,
        )  # fmt: skip
        if reopen:
            if latest_survey(survey.ticket) != survey:
                raise ActionError(_("This request was solved again since; reopen it from its page."))
            do_customer_reopen(ticket=survey.ticket, customer=person, now=now)
    return survey
