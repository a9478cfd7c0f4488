"""Macros: the ones the caller may use, and applying one to a ticket (its changes made, its reply
rendered for the customer and returned, not sent: send it with POST /tickets/{number}/messages).
Staff only; the ticket is found among those the caller may see (else 404), as every ticket endpoint."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema

from policydesk.api.auth import caller
from policydesk.api.errors import not_found, responses
from policydesk.api.schemas import RowId, TicketNumber
from policydesk.api.tickets import _require_staff, _ticket
from policydesk.macros import access, actions
from policydesk.macros.models import Macro

router = Router(tags=["macros"])


class MacroOut(Schema):
    id: int
    title: str
    scope: str
    team: str | None
    usage_count: int
    add_tags: list[str]
    remove_tags: list[str]

    @staticmethod
    def resolve_add_tags(macro: Macro) -> list[str]:
        return macro.tags_to_add

    @staticmethod
    def resolve_remove_tags(macro: Macro) -> list[str]:
        return macro.tags_to_remove

    @staticmethod
    def resolve_team(macro: Macro) -> str | None:
        return macro.team.name if macro.team else None


class AppliedMacroOut(Schema):
    ticket: int
    text: str
    language: str
    missing: list[str]
    changes: list[str]


@router.get("/macros", response={200: list[MacroOut], **responses(403)}, url_name="macros")
def list_macros(request: HttpRequest) -> Any:
    """The active macros you may apply: your personal ones, your teams', the shared ones."""
    person = caller(request)
    _require_staff(person)
    return list(access.usable_macros(person).select_related("team"))


@router.post(
    "/tickets/{number}/macros/{macro_id}/apply",
    response={200: AppliedMacroOut, **responses(403, 404)},
    url_name="macro-apply",
)
def apply_macro(request: HttpRequest, number: TicketNumber, macro_id: RowId) -> Any:
    """Make the macro's changes to the ticket (status, priority, assignee, request type, tags, each audited
    as a change of its own) and return its reply in the customer's language with the placeholders
    that had no value (`missing`, left in the text as `{{ name }}`). The reply is not sent."""
    person = caller(request)
    ticket = _ticket(person, number)
    _require_staff(person)
    macro = access.usable_macros(person).filter(pk=macro_id).first()
    if macro is None:
        raise not_found()
    applied = actions.do_apply_macro(ticket=ticket, macro=macro, agent=person, now=timezone.now())
    return {
        "ticket": applied.ticket.number,
        "text": applied.text,
        "language": applied.language,
        "missing": list(applied.missing),
        "changes": list(applied.changes),
    }
