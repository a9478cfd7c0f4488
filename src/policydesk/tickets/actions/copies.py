"""Outside copies (issue 13): addresses outside the ticket's organisation copied on it, where
the policy allows (`[outside_copies]`). Each is an `OutsideCopy` row, no Person: it receives the
ticket's public replies by email in the ticket's language (`mail.outgoing.agent_reply_emails`),
never internal notes, and never signs in. Mail it sends is not taken as a reply: C14 accepts
requests only from the address a customer signs in with, so the desk quarantines it as it does
any stranger's answer to a known ticket (`mail.ingest._reply`), and a person decides.

The requester or staff who may answer the ticket add and remove them (portal, console, API;
email: the `Cc:` of a new request, `mail.ingest._copy_cc`). Customers of the ticket's own
organisation are participants instead (`people.do_add_participant`); any other address known
here (staff, another organisation's customers) is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from policydesk.desk_policy import get_policy
from policydesk.tickets.actions.people import (
    colleague_by_email,
    do_add_participant,
    do_remove_participant,
    may_change_people,
)
from policydesk.tickets.actions.shared import ActionError, locked
from policydesk.tickets.audit import record_audit_event
from policydesk.tickets.models import OutsideCopy, Person, Ticket, email_is

#: The longest address accepted (RFC 5321's path limit, and the column's).
MAX_ADDRESS_CHARS = 254
#: Characters that never belong in one bare address: line breaks (header injection), list
#: separators, display-name and comment syntax.
_NOT_IN_AN_ADDRESS = frozenset('<>,;:"()[]\\ ')


def outside_address(raw: str) -> str:
    """`raw` as one bare address (addr-spec) in lower case, or an ActionError saying why not:
    a list, a display name, a line break or a control character is never taken apart or cleaned."""
    address = raw.strip()
    shown = address[:80] + ("…" if len(address) > 80 else "")
    if not address:
        raise ActionError(_("enter an email address"))
    if len(address) > MAX_ADDRESS_CHARS:
        raise ActionError(
            _("%(address)s is longer than %(count)d characters")
            % {"address": shown, "count": MAX_ADDRESS_CHARS}
        )
    if any(ord(char) < 32 or ord(char) == 127 or char in _NOT_IN_AN_ADDRESS for char in address):
        raise ActionError(_("%(address)s is not one email address: enter one, like name@example.com") % {
            "address": shown.encode("unicode_escape").decode("ascii")
        })  # fmt: skip
    try:
        address.encode("ascii")
        validate_email(address)
    except (UnicodeEncodeError, ValidationError):
        raise ActionError(_("%(address)s is not a valid email address") % {"address": shown}) from None
    return address.lower()


def _refusal(ticket: Ticket, address: str) -> str | None:
    """Why `address` cannot be copied on `ticket` under the policy, or None."""
    rules = get_policy().outside_copies
    if not rules.allowed:
        return _("This desk's policy does not allow copying addresses outside the customer's organisation.")
    if not rules.permits(address):
        return _("The policy allows outside copies only of addresses at %(domains)s.") % {
            "domains": ", ".join(rules.domains)
        }
    domain = address.rpartition("@")[2]
    own = {get_policy().domain.lower(), str(settings.POLICYDESK_MAIL_DOMAIN or "").lower()}
    if domain in own:
        return _("Addresses of the desk's own domain cannot be copied.")
    person = Person.objects.filter(email_is(address)).only("organisation_id", "role", "is_active").first()
    if person is not None:
        if person.role == Person.Role.CUSTOMER and person.organisation_id == ticket.organisation_id:
            return _("%(email)s is a customer of this organisation: copy them as a participant.") % {
                "email": address
            }
        return _("%(email)s cannot be copied on this ticket.") % {"email": address}
    return None


def do_add_outside_copy(*, ticket: Ticket, address: str, actor: Person, now: datetime) -> Ticket:
    """Copy the outside `address` on the ticket (it receives the public replies from now on): the
    requester or staff who may answer it may, where the policy allows, up to its number a ticket."""
    if not may_change_people(actor, ticket):
        raise ActionError(_("only the requester or support staff can copy someone on this ticket"))
    address = outside_address(address)
    refusal = _refusal(ticket, address)
    if refusal is not None:
        raise ActionError(refusal)
    most = get_policy().outside_copies.max_per_ticket
    with transaction.atomic():
        ticket = locked(ticket)  # two adds at once count each other's row
        copies = set(OutsideCopy.objects.filter(ticket=ticket).values_list("address", flat=True))
        if address in copies:
            return ticket
        if len(copies) >= most:
            raise ActionError(
                _("This ticket copies %(count)d outside addresses already, the most the policy allows.")
                % {"count": len(copies)}
            )
        OutsideCopy.objects.create(ticket=ticket, address=address, added_by=actor, created_at=now)
        record_audit_event(now, actor, "ticket.outside_copy_added", ticket, address=address)
    return ticket


def do_remove_outside_copy(*, ticket: Ticket, address: str, actor: Person, now: datetime) -> Ticket:
    """Stop copying `address`: it receives no more of the ticket's mail. The requester or staff who
    may answer the ticket may (removing one the policy no longer allows is always possible)."""
    if not may_change_people(actor, ticket):
        raise ActionError(_("only the requester or support staff can remove someone from this ticket"))
    address = outside_address(address)
    with transaction.atomic():
        ticket = locked(ticket)
        removed, _kinds = OutsideCopy.objects.filter(ticket=ticket, address=address).delete()
        if removed:
            record_audit_event(now, actor, "ticket.outside_copy_removed", ticket, address=address)
    return ticket


def do_copy_someone(
    *, ticket: Ticket, address: str, actor: Person, now: datetime
) -> Literal["participant", "outside"]:
    """The one "copy someone" of the portal's and console's forms: a customer of the ticket's
    organisation becomes a participant; any other address an outside copy where the policy allows
    (where it does not, the refusal is the participant's: not a customer of this organisation)."""
    try:
        colleague = colleague_by_email(ticket, address)
    except ActionError:
        if not get_policy().outside_copies.allowed:
            raise
        do_add_outside_copy(ticket=ticket, address=address, actor=actor, now=now)
        return "outside"
    do_add_participant(ticket=ticket, participant=colleague, actor=actor, now=now)
    return "participant"


def do_uncopy_someone(*, ticket: Ticket, address: str, actor: Person, now: datetime) -> None:
    """Stop copying `address`, an outside copy or a participant, whichever it is on the ticket."""
    if OutsideCopy.objects.filter(ticket=ticket, address=address.strip().lower()).exists():
        do_remove_outside_copy(ticket=ticket, address=address, actor=actor, now=now)
        return
    do_remove_participant(
        ticket=ticket, participant=colleague_by_email(ticket, address), actor=actor, now=now
    )
