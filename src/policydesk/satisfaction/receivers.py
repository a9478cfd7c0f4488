"""A solved ticket opens its satisfaction survey and emails it to the requester, inside the
solving action's transaction (`tickets.signals.ticket_solved`; deflections and merges do not
send it, so they are never surveyed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from policydesk.mail.outgoing import queue_mail
from policydesk.satisfaction import emails
from policydesk.satisfaction.actions import open_survey
from policydesk.tickets import signals
from policydesk.tickets.models import Person, Ticket


def ask_for_rating(
    sender: object, ticket: Ticket, actor: Person | None, now: datetime, **kwargs: Any
) -> None:
    survey = open_survey(ticket, actor, now)
    if survey.person.is_active:
        # Rate limited per recipient with the other automatic mail (OutgoingMail.RATE_LIMITED_KINDS):
        # a customer solving many tickets at once gets at most the limit's worth of surveys by
        # email; every survey stays answerable on the ticket's page.
        queue_mail(emails.survey_email(survey), now=now)


def connect() -> None:
    signals.ticket_solved.connect(ask_for_rating, dispatch_uid="satisfaction.ask_for_rating")
