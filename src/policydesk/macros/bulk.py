"""A macro applied to many tickets at once (a bulk change, `tickets/bulk.py`): each ticket through
`do_send_macro`, its reply rendered for that ticket's customer and sent, its changes made, with
the same audit rows as a single apply; a ticket it cannot be done for (a placeholder without a
value, a closed ticket, a ticket outside the agent's queues) is listed with the reason."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from policydesk.macros import access, actions
from policydesk.tickets.actions import ActionError
from policydesk.tickets.bulk import Change
from policydesk.tickets.models import BulkJob, Ticket


def macro_change(job: BulkJob) -> Change:
    """What the job does to each ticket; ActionError when its macro is not one the actor may use."""
    macro = access.usable_macros(job.actor).filter(pk=int(job.value)).first() if job.value.isdigit() else None
    if macro is None:
        raise ActionError(_("choose a macro you may use"))

    def send(ticket: Ticket, now: datetime) -> object:
        return actions.do_send_macro(ticket=ticket, macro=macro, agent=job.actor, now=now)

    return send
