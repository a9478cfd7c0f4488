"""What the ticket page shows of the customer's end of a ticket: the "mark as solved" button and
the satisfaction survey (its forms post to `satisfaction_views`)."""

from __future__ import annotations

from django.utils import timezone

from policydesk.display import format_instant
from policydesk.portal.forms import RatingForm
from policydesk.satisfaction import window
from policydesk.satisfaction.actions import latest_survey
from policydesk.satisfaction.models import SatisfactionSurvey
from policydesk.tickets.models import Person, Ticket


def survey_for(ticket: Ticket, person: Person) -> SatisfactionSurvey | None:
    """The survey the ticket page offers `person`: its latest solve's, while the ticket stays
    solved and the window is open, and only to the person it was sent to (the requester)."""
    if ticket.status != Ticket.Status.SOLVED or person.pk != ticket.requester_id:
        return None
    survey = latest_survey(ticket)
    if survey is None or survey.person_id != person.pk or not window.is_open(survey, timezone.now()):
        return None
    return survey


def ticket_page_context(ticket: Ticket, person: Person, form: RatingForm | None = None) -> dict[str, object]:
    """What the ticket page shows of this: the "mark as solved" button, and the survey."""
    survey = survey_for(ticket, person)
    initial = {"rating": survey.rating, "comment": survey.comment} if survey else {}
    return {
        "can_solve": person.pk == ticket.requester_id and ticket.is_open,
        "survey": survey,
        "rating_form": form or RatingForm(initial=initial),
        "survey_closes": format_instant(window.closes_at(survey), person.time_zone) if survey else "",
    }
