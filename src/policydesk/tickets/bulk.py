"""Bulk changes (issue 13): one change asked for many tickets at once.

`do_start_bulk` records the job (one `BulkJob` row and its audit row) and either runs it at once
(up to `INLINE` tickets: the agent sees the outcome on the next page) or enqueues it for the
worker (`run_bulk_job`), whose progress the console's job page shows. Each ticket goes through
the same action as a single change (`do_assign`, `do_set_status`, `do_set_priority`,
`do_add_tags`, `do_merge_tickets`, and a macro's `do_send_macro`, which `macros` registers with
`register_change`: `tickets` stands below `macros` and cannot import it), with its own audit row
and signals (the SLA watch re-plans it, for a whole chunk at once at the chunk's end); a ticket
the actor may not change, or an action that refuses it, is listed with the reason and the others
go on. Tickets are changed `PROGRESS_EVERY` at a time in one transaction that also saves the
job's progress (one commit per chunk, not per ticket).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from policydesk.tickets import actions
from policydesk.tickets.access import can_answer, is_staff, remember_queues
from policydesk.tickets.actions import ActionError
from policydesk.tickets.audit import record_audit_event
from policydesk.tickets.models import BulkJob, Person, Ticket
from policydesk.tickets.sla_metrics import recording_together
from policydesk.tickets.tags import BadTag, parse_tags

#: Jobs of up to this many tickets run in the request that asks for them.
INLINE = 25
#: The most tickets one job takes ("select all matching" is capped here, and said so).
MAX_TICKETS = 10_000
#: The job's row is updated after this many tickets (the progress the console shows).
PROGRESS_EVERY = 50

#: What a bulk change does to one ticket (raising ActionError to refuse it, with the reason).
Change = Callable[[Ticket, datetime], object]
#: The changes apps above `tickets` provide, by action: each checks the job's value (ActionError
#: refuses the whole job before it starts) and returns what to do to each ticket.
REGISTERED: dict[str, Callable[[BulkJob], Change]] = {}


#: What each chunk's transaction runs inside, from apps above `tickets` (the SLA watch re-plans a
#: chunk's tickets together at its end, `watch.timers.planning_together`).
CHUNK_CONTEXTS: dict[str, Callable[[], AbstractContextManager[object]]] = {}


def register_change(action: str, make: Callable[[BulkJob], Change]) -> None:
    """Let an app above `tickets` provide the change of a `BulkJob.Action` (its AppConfig.ready)."""
    REGISTERED[action] = make


def register_chunk_context(name: str, make: Callable[[], AbstractContextManager[object]]) -> None:
    """Let an app above `tickets` wrap each chunk of a bulk job, inside its transaction."""
    CHUNK_CONTEXTS[name] = make


def do_start_bulk(*, actor: Person, action: str, value: str, numbers: list[int], now: datetime) -> BulkJob:
    """Record a bulk change and run it now (small) or enqueue it (large)."""
    if not is_staff(actor):
        raise ActionError(_("only support staff can change tickets in bulk"))
    if action not in BulkJob.Action.values:
        raise ActionError(_("unknown bulk action %(action)r") % {"action": action})
    numbers = list(dict.fromkeys(numbers))  # each once, in the order chosen
    if not numbers:
        raise ActionError(_("choose at least one ticket"))
    if len(numbers) > MAX_TICKETS:
        raise ActionError(_("at most %(count)s tickets at once") % {"count": MAX_TICKETS})
    _change(BulkJob(actor=actor, action=action, value=value))  # refuses an unknown assignee or target now
    with transaction.atomic():
        job = BulkJob.objects.create(actor=actor, action=action, value=value, numbers=numbers, created_at=now)
        record_audit_event(now, actor, "bulk.started", job, change=action, value=value, tickets=len(numbers))
        if len(numbers) > INLINE:
            run_bulk_job.enqueue(job.pk)
    if len(numbers) <= INLINE:
        run_bulk(job, now)
    return job


def run_bulk(job: BulkJob, now: datetime) -> BulkJob:
    """Apply the job to each of its tickets not done yet (a job cut short resumes where it stopped)."""
    if job.state == BulkJob.State.DONE:
        return job
    change = _change(job)
    job.state = BulkJob.State.RUNNING
    job.save(update_fields=["state"])
    seen = job.done + len(job.failed)
    remember_queues(job.actor)  # the actor's teams, read once for the whole job
    todo = job.numbers[seen:]
    for start in range(0, len(todo), PROGRESS_EVERY):
        chunk = todo[start : start + PROGRESS_EVERY]
        tickets = {
            t.number: t
            for t in Ticket.objects.filter(number__in=chunk).select_related("organisation", "requester")
        }
        # One transaction per chunk, with the job's progress in it: each ticket's action is a
        # savepoint of its own (a refusal undoes that ticket alone), and a job cut short resumes
        # after the last chunk that committed, never doing a ticket twice.
        with transaction.atomic(), ExitStack() as around:
            for make in CHUNK_CONTEXTS.values():
                around.enter_context(make())
            # Entered last, so it ends first: the watch's plan reads the events it records.
            around.enter_context(recording_together())
            for number in chunk:
                ticket = tickets.get(number)
                if ticket is None or not can_answer(job.actor, ticket):
                    job.failed.append({"number": number, "reason": _("no such ticket in your queues")})
                    continue
                try:
                    change(ticket, now)
                except ActionError as refused:
                    job.failed.append({"number": number, "reason": str(refused)})
                else:
                    job.done += 1
            around.close()  # the chunk's own work (the watch's plan) before its progress is saved
            job.save(update_fields=["done", "failed"])
    job.state = BulkJob.State.DONE
    job.finished_at = now
    job.save(update_fields=["done", "failed", "state", "finished_at"])
    return job


def _change(job: BulkJob) -> Change:
    actor, value = job.actor, job.value
    if job.action in REGISTERED:
        return REGISTERED[job.action](job)
    if job.action == BulkJob.Action.ASSIGN:
        assignee = Person.objects.filter(pk=int(value)).first() if value.isdigit() else None
        if value and assignee is None:
            raise ActionError(_("unknown assignee"))
        return lambda ticket, now: actions.do_assign(ticket=ticket, assignee=assignee, actor=actor, now=now)
    if job.action == BulkJob.Action.STATUS:
        if value not in Ticket.Status.values:
            raise ActionError(_("unknown status %(status)r") % {"status": value})
        return lambda ticket, now: actions.do_set_status(ticket=ticket, status=value, actor=actor, now=now)
    if job.action == BulkJob.Action.PRIORITY:
        return lambda ticket, now: actions.do_set_priority(
            ticket=ticket, priority=value, actor=actor, now=now
        )
    if job.action == BulkJob.Action.TAGS:
        try:
            tags = parse_tags(value)
        except BadTag as bad:
            raise ActionError(str(bad)) from bad
        if not tags:
            raise ActionError(_("name the tags to add"))
        return lambda ticket, now: actions.do_add_tags(ticket=ticket, tags=tags, actor=actor, now=now)
    target = Ticket.objects.filter(number=int(value)).first() if value.isdigit() else None
    if target is None or not can_answer(actor, target):
        raise ActionError(_("no ticket #%(number)s in your queues to merge into") % {"number": value})

    def merge(ticket: Ticket, now: datetime) -> object:
        if ticket.pk == target.pk:
            return target  # the one the others go into
        return actions.do_merge_tickets(source=ticket, target=target, agent=actor, now=now)

    return merge


@task()
def run_bulk_job(job_id: int) -> dict[str, int]:
    """Run a large bulk change in the worker, resuming where an earlier run stopped."""
    job = BulkJob.objects.select_related("actor").filter(pk=job_id).first()
    if job is None:
        return {"done": 0, "failed": 0}
    job = run_bulk(job, timezone.now())
    return {"done": job.done, "failed": len(job.failed)}
