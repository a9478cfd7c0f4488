"""How a notification reads: one line, in the active language (the console's list and the emails)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from policydesk.inbox.models import Notification
from policydesk.tickets.models import Notification as Kind


def describe(notification: Notification) -> str:
    """One line saying what happened, in the active language."""
    actor = notification.actor
    who = (actor.name or actor.email) if actor is not None else _("The desk")
    values = {"who": who, "number": notification.ticket.number}
    if notification.kind == Kind.CUSTOMER_REPLY:
        return _("%(who)s replied on ticket #%(number)s") % values
    if notification.kind == Kind.ASSIGNED:
        return _("%(who)s assigned ticket #%(number)s to you") % values
    if notification.kind == Kind.MENTION:
        return _("%(who)s mentioned you in a note on ticket #%(number)s") % values
    return _("%(who)s reopened ticket #%(number)s") % values
