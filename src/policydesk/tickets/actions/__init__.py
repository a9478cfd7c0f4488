"""Every write to the desk's tickets, organisations and people: one transaction, one audit event
(`tickets.audit.record_audit_event`), side effects through signals sent inside the transaction
(receivers enqueue tasks transactionally) or on commit.

One module per topic; import from here (`from policydesk.tickets import actions`):

- `intake`: `do_open_ticket`, the one path from a request to a ticket or a deflection (C13),
  in named steps; `IntakeResult`; `do_submit_feedback` (C18).
- `conversation`: `do_agent_reply`, `do_customer_reply`, `do_add_note`, and
  `do_report_undelivered_mail` (the desk's own note about mail it could not send).
- `assignment`: `do_assign`, `do_set_status`, `do_set_priority`, `do_change_request_type`
  (re-runs triage: a new queue and due time, or a deflection; `RequestTypeChange`), and
  `do_deflect` (an agent finds a ticket out of scope and solves it with the policy's route).
- `customer_status`: `do_customer_solve`, `do_customer_reopen` (the requester marks their ticket
  solved, or asks for it back after a bad rating).
- `meetings`: `do_request_meeting`, `do_decide_meeting` (C7, C21).
- `merging`: `do_merge_tickets` (one ticket folded into another; the clock it keeps).
- `people`: `do_follow`, `do_unfollow` (staff told of a ticket's news), `do_add_participant`,
  `do_remove_participant` (customers of its organisation copied on it).
- `copies`: `do_add_outside_copy`, `do_remove_outside_copy` (addresses outside the organisation
  copied on a ticket, where the policy allows; `outside_address` validates one), and
  `do_copy_someone`, `do_uncopy_someone` (the forms' one field: a participant or an outside copy).
- `organisations`: `do_create_organisation`, `do_create_person`, `do_create_team`, and
  `do_update_profile` (a person's language, time zone and notification emails).
- `tags`: `do_set_tags`, `do_add_tags`, `do_remove_tags` (a ticket's tags, normalised by
  `tickets/tags.py`).
- `saved_views`: `do_save_view`, `do_delete_view` (a queue's filters saved under a name).
- `once`: every form submits once: the form's one-time key (`once_key`), claimed inside the
  action's transaction; a second submit returns what the first made.
- `stale`: the stale-write guard: a ticket's version (`ticket_version`) and `StaleTicket`,
  raised by an action given an `expected_version` the ticket has moved past.
- `shared`: what several topics use: `ActionError`, `Upload` and attaching it, the ticket
  row locked for a change.

The other apps keep their actions beside them (`status.actions`, `api.tokens`,
`watch.actions`) and record through the same audit helper.
"""

from policydesk.tickets.actions.assignment import (
    RequestTypeChange,
    do_assign,
    do_change_request_type,
    do_deflect,
    do_set_priority,
    do_set_status,
)
from policydesk.tickets.actions.conversation import (
    do_add_note,
    do_agent_reply,
    do_customer_reply,
    do_report_undelivered_mail,
)
from policydesk.tickets.actions.copies import (
    do_add_outside_copy,
    do_copy_someone,
    do_remove_outside_copy,
    do_uncopy_someone,
    outside_address,
)
from policydesk.tickets.actions.customer_status import do_customer_reopen, do_customer_solve
from policydesk.tickets.actions.intake import IntakeResult, do_open_ticket, do_submit_feedback
from policydesk.tickets.actions.meetings import do_decide_meeting, do_request_meeting
from policydesk.tickets.actions.merging import do_merge_tickets
from policydesk.tickets.actions.organisations import (
    do_create_organisation,
    do_create_person,
    do_create_team,
    do_update_profile,
)
from policydesk.tickets.actions.people import (
    colleague_by_email,
    do_add_participant,
    do_follow,
    do_remove_participant,
    do_unfollow,
    may_change_people,
)
from policydesk.tickets.actions.saved_views import do_delete_view, do_save_view, view_query
from policydesk.tickets.actions.shared import ActionError, Upload
from policydesk.tickets.actions.stale import StaleTicket, ticket_version
from policydesk.tickets.actions.tags import do_add_tags, do_remove_tags, do_set_tags

__all__ = [
    "ActionError",
    "IntakeResult",
    "RequestTypeChange",
    "StaleTicket",
    "Upload",
    "colleague_by_email",
    "do_add_note",
    "do_add_outside_copy",
    "do_add_participant",
    "do_add_tags",
    "do_agent_reply",
    "do_assign",
    "do_change_request_type",
    "do_copy_someone",
    "do_create_organisation",
    "do_create_person",
    "do_create_team",
    "do_customer_reopen",
    "do_customer_reply",
    "do_customer_solve",
    "do_decide_meeting",
    "do_deflect",
    "do_delete_view",
    "do_follow",
    "do_merge_tickets",
    "do_open_ticket",
    "do_remove_outside_copy",
    "do_remove_participant",
    "do_remove_tags",
    "do_report_undelivered_mail",
    "do_request_meeting",
    "do_save_view",
    "do_set_priority",
    "do_set_status",
    "do_set_tags",
    "do_submit_feedback",
    "do_uncopy_someone",
    "do_unfollow",
    "do_update_profile",
    "may_change_people",
    "outside_address",
    "ticket_version",
    "view_query",
]
