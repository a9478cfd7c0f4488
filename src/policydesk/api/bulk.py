"""Bulk changes (issue 13): one change for many tickets, as the console's queue does it. Staff
only. Each ticket goes through the same action as a single change, with its own audit row; a
ticket you may not change is listed in `failed` with the reason (and left as it is), the others go
on. Up to 25 tickets run in the request (the answer says `done`); more run in the worker: read
`GET /bulk/{id}` for progress."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from policydesk.api.auth import caller
from policydesk.api.errors import not_found, responses
from policydesk.api.schemas import JsonObject, RowId, TicketNumber
from policydesk.api.tickets import _agent, _require_staff
from policydesk.tickets.bulk import MAX_TICKETS, do_start_bulk
from policydesk.tickets.models import BulkJob

router = Router(tags=["bulk"])


class BulkFailure(Schema):
    number: int
    reason: str


class BulkJobOut(Schema):
    id: int
    action: str
    value: str = Field(description="As asked; for `assign`, the assignee's id ('' unassigns).")
    state: Literal["queued", "running", "done"]
    tickets: int = Field(description="How many tickets the change was asked for.")
    done: int
    failed: list[BulkFailure] = Field(description="Tickets not changed, each with the reason.")
    created_at: datetime
    finished_at: datetime | None

    @staticmethod
    def resolve_tickets(job: BulkJob) -> int:
        return len(job.numbers)


class BulkIn(JsonObject):
    action: Literal["assign", "status", "priority", "tags", "macro", "merge"]
    value: str = Field(
        "",
        max_length=500,
        description="assign: the agent's email ('' unassigns); status, priority: the new value; "
        "tags: comma-separated tags to add; macro: the macro's id; merge: the number of the ticket "
        "the others go into.",
    )
    tickets: list[TicketNumber] = Field(min_length=1, max_length=MAX_TICKETS)


@router.post("/bulk", response={201: BulkJobOut, **responses(403)})
def start_bulk(request: HttpRequest, payload: BulkIn) -> Any:
    """Change many tickets at once; what could not be changed is listed with the reason."""
    person = caller(request)
    _require_staff(person)
    value = payload.value.strip()
    if payload.action == "assign" and value:
        value = str(_agent(value, "value").pk)
    job = do_start_bulk(
        actor=person, action=payload.action, value=value, numbers=list(payload.tickets), now=timezone.now()
    )
    job.refresh_from_db()
    return Status(201, job)


@router.get("/bulk/{job_id}", response={200: BulkJobOut, **responses(404)}, url_name="bulk-job")
def get_bulk(request: HttpRequest, job_id: RowId) -> BulkJob:
    """A bulk change's progress and outcome (your own changes only)."""
    person = caller(request)
    job = BulkJob.objects.filter(pk=job_id, actor=person).first()
    if job is None:
        raise not_found()
    return job
