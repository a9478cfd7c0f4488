"""Signals sent by the actions, inside their transaction: receivers (mail, SLA watch)
record mail and plan timers in the same transaction, so a change and its consequences
commit together (or roll back together).

Every email the desk sends about an event starts here: the event's signal is received in
`policydesk.mail.receivers`, which records the mail (`mail.outgoing`). No other path
starts an email about a ticket, a deflection or a rejected sender.

Everything a receiver needs travels in the signal's arguments, listed beside each signal;
nothing reaches a receiver by a side channel. `RECEIVERS` below names every receiver of
every signal, what it does and in which transaction; `tests/tickets/test_signals.py`
fails when it and the receivers actually connected differ.

The search index is not kept through these signals: `policydesk.search.receivers` follows
Django's own `post_save` of tickets, messages, attachments, people and organisations (every
write of them, signal or not), in the same transaction (docs/search.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.dispatch import Signal


@dataclass(frozen=True)
class InboundEmail:
    """The received email an action was taken for, so that what the desk sends about it
    threads under it (In-Reply-To, References) and answers its subject.

    `left_out(lang)`: the files of the email that did not reach the ticket (too large, too
    many), listed in `lang`; None when every file was attached."""

    message_id: str
    references: tuple[str, ...]
    subject: str
    left_out: Callable[[str], str] | None = None


#: ticket (unsaved: no id, no number yet), policy, inbound (InboundEmail | None), metric_events
#: (the MetricEvent rows the action will store, unsaved): sent by `do_open_ticket` BEFORE its
#: transaction, the one signal sent outside one. A receiver may return work it prepared without
#: any row (rendering an email's words, the rows it will write), which `ticket_opened` then carries
#: in `prepared`; it must write nothing (issue 17: less work while SQLite's write lock is held).
ticket_opening = Signal()
#: ticket, message (the request itself), decision, inbound (InboundEmail | None), policy (the one
#: it was triaged under: receivers need not read the file again), metric_events (the MetricEvent
#: rows the action stored: a new ticket has no others), prepared (what `ticket_opening`'s receivers
#: returned, None left out)
ticket_opened = Signal()
#: deflection, decision, inbound (InboundEmail | None)
request_deflected = Signal()
#: ticket, message, first_response
agent_replied = Signal()
#: ticket, message, inbound (InboundEmail | None), reopened (the reply reopened a solved ticket)
customer_replied = Signal()
#: ticket, change ("assignee" | "status" | "request_type" | "merged")
ticket_changed = Signal()
#: ticket (its new assignee), actor: an agent assigned the ticket to someone (`do_assign`)
ticket_assigned = Signal()
#: ticket, actor: a solved ticket set back to new, open or pending by someone (`do_set_status`;
#: a customer's reply that reopens one says so in `customer_replied`)
ticket_reopened = Signal()
#: ticket, actor, now: the ticket became solved (from new, open or pending) by an agent's reply or
#: status change, or by its requester (`do_customer_solve`); never by a deflection (C12) or a merge
ticket_solved = Signal()
#: ticket, message: an internal note was added (`do_add_note`)
note_added = Signal()
#: meeting (C7: a one-off call proposed or declined)
meeting_decided = Signal()
#: source, target, actor: `source` was folded into `target` (`do_merge_tickets`)
tickets_merged = Signal()
#: address, language, inbound (InboundEmail), now: an email from someone who is not the
#: login email of anyone here (C14); sent by `mail.ingest`, the one signal no action sends
sender_rejected = Signal()


#: signal name → {receiver (module.function): what it does}. Every receiver runs inside
#: the transaction of the action (or, for `sender_rejected`, of the ingest step) that sent
#: the signal: what it records commits or rolls back with the change; `ticket_opening`, sent
#: before the transaction, is the exception, and its receivers write nothing.
RECEIVERS: dict[str, dict[str, str]] = {
    "ticket_opening": {
        "policydesk.mail.receivers.draft_acknowledgement": (
            "renders the acknowledgement's words before the transaction (no number yet: a "
            "placeholder, replaced by `acknowledge`) and works out its rows (its record, task "
            "and Message-ID link); writes nothing (`acknowledge` records them)"
        ),
        "policydesk.watch.receivers.prepare_timers": (
            "works out the warning and breach timers from the metric events the intake will "
            "store; writes nothing (`on_ticket_opened` writes them)"
        ),
    },
    "ticket_opened": {
        "policydesk.mail.receivers.acknowledge": (
            "records the acknowledgement email with the first-response promise (C3, C13), "
            "threaded under the inbound email; and the notice of files left out, if any"
        ),
        "policydesk.watch.receivers.on_ticket_opened": (
            "plans the warning and breach timers; opens a page for a mission-critical ticket "
            "and enqueues its first firing (C5, C6)"
        ),
    },
    "request_deflected": {
        "policydesk.mail.receivers.mail_deflection": (
            "records the email naming the route, for a request that came by email (C2)"
        ),
    },
    "agent_replied": {
        "policydesk.mail.receivers.mail_agent_reply": (
            "records the public answer's email to the requester and each participant (C13)"
        ),
        "policydesk.watch.receivers.on_agent_replied": (
            "on the first response: re-plans the timers (cancels warning and breach) and stops paging"
        ),
    },
    "customer_replied": {
        "policydesk.mail.receivers.mail_left_out_notice": (
            "records the notice of files left out of an emailed reply, if any"
        ),
        "policydesk.watch.receivers.on_ticket_changed": "re-plans the timers",
        "policydesk.inbox.receivers.on_customer_replied": (
            "tells the assignee and the followers (a notification, and its email as they chose): a "
            "reply, or their solved ticket reopened by it"
        ),
    },
    "ticket_assigned": {
        "policydesk.inbox.receivers.on_ticket_assigned": "tells the new assignee, unless they assigned it",
    },
    "ticket_reopened": {
        "policydesk.inbox.receivers.on_ticket_reopened": (
            "tells the assignee and the followers, unless they reopened it"
        ),
    },
    "ticket_solved": {
        "policydesk.satisfaction.receivers.ask_for_rating": (
            "opens the solve's satisfaction survey and records its email to the requester (rate "
            "limited like the other automatic mail)"
        ),
    },
    "note_added": {
        "policydesk.inbox.receivers.on_note_added": (
            "tells each staff member @mentioned in the note who can see the ticket (not its author)"
        ),
    },
    "ticket_changed": {
        "policydesk.watch.receivers.on_ticket_changed": (
            "re-plans the timers (solved or closed cancels; reopened or re-triaged re-plans); "
            "a request-type change opens a page for a ticket now mission-critical, or stops it (C6)"
        ),
    },
    "tickets_merged": {
        "policydesk.mail.receivers.mail_merged": (
            "records the email telling the merged ticket's requester (and the surviving ticket's, if "
            "another person) where the conversation goes on"
        ),
        "policydesk.search.receivers.on_tickets_merged": (
            "writes both tickets' search entries again (the moved messages and files are found in "
            "the surviving ticket)"
        ),
    },
    "meeting_decided": {
        "policydesk.mail.receivers.mail_meeting_decision": (
            "records the email of support's answer to a call request (C7, C21)"
        ),
    },
    "sender_rejected": {
        "policydesk.mail.receivers.mail_rejection_notice": (
            "records the notice telling an unknown sender why (C14), at most one a day"
        ),
    },
}
