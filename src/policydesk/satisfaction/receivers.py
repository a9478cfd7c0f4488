"""A solved ticket opens its satisfaction survey and emails it to the requester, inside the
solving action's transaction (`tickets.signals.ticket_solved`; deflections and merges do not
send it, so they are never surveyed). A bulk change asks for a whole chunk's ratings together
at the chunk's end (`surveying_together`)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from contextvars import ContextVar
from datetime import datetime
from itertools import groupby
from typing import Any

from policydesk.mail.outgoing import queue_mails
from policydesk.satisfaction import emails
from policydesk.satisfaction.actions import open_surveys
from policydesk.tickets import bulk, signals
from policydesk.tickets.models import Person, Ticket
from policydesk.together import Collection, done_together, later_or_now

Solve = tuple[Ticket, Person | None, datetime]

#: The solves whose survey waits for the end of a `surveying_together` block (None: outside one).
_together: ContextVar[Collection[Solve] | None] = ContextVar("surveying_together", default=None)


def ask_for_rating(
    sender: object, ticket: Ticket, actor: Person | None, now: datetime, **kwargs: Any
) -> None:
    later_or_now(_together, [(ticket, actor, now)], _ask)


def surveying_together() -> AbstractContextManager[None]:
    """Inside this block (in one transaction), the surveys of the tickets solved are opened and
    emailed together when the block ends: a bulk solve of 50 tickets records them in a few
    queries, not 50 × 7. Only tickets still solved then are asked (a ticket whose change was
    undone after its solve, within the block, is not). Nothing is asked when the block raises."""
    return done_together(_together, Collection, _ask_if_still_solved)


def _ask_if_still_solved(waiting: list[Solve]) -> None:
    solved = set(
        Ticket.objects.filter(
            pk__in={ticket.pk for ticket, _, _ in waiting}, status=Ticket.Status.SOLVED
        ).values_list("pk", flat=True)
    )
    _ask([solve for solve in waiting if solve[0].pk in solved])


def _ask(solves: list[Solve]) -> None:
    surveys = open_surveys(solves)
    # Rate limited per recipient with the other automatic mail (OutgoingMail.RATE_LIMITED_KINDS):
    # a customer solving many tickets at once gets at most the limit's worth of surveys by
    # email; every survey stays answerable on the ticket's page.
    asked = [survey for survey in surveys if survey.person.is_active]
    for now, same_time in groupby(asked, key=lambda survey: survey.asked_at):
        queue_mails([emails.survey_email(survey) for survey in same_time], now=now)


def connect() -> None:
    signals.ticket_solved.connect(ask_for_rating, dispatch_uid="satisfaction.ask_for_rating")
    bulk.register_chunk_context("satisfaction.ask", surveying_together)
