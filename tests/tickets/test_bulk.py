"""Bulk changes (issue 13, `tickets/bulk.py`): each ticket through its own action and audit row,
refusals listed with the reason, small jobs at once and large ones in the worker, resumable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from policydesk.tickets import bulk
from policydesk.tickets.actions import ActionError
from policydesk.tickets.models import AuditEvent, BulkJob, Ticket
from tests.conftest import NOW, Personas, open_ticket, signed_in

LATER = NOW + timedelta(hours=1)


def tickets(personas: Personas, count: int) -> list[Ticket]:
    return [open_ticket(personas.customer, subject=f"Case {i}") for i in range(count)]


def test_a_small_job_runs_at_once_one_action_and_audit_row_per_ticket(personas: Personas) -> None:
    mine = tickets(personas, 3)
    elsewhere = open_ticket(personas.other_org_customer)  # US West: not Jonas's queue
    job = bulk.do_start_bulk(
        actor=personas.agent, action="priority", value="high",
        numbers=[t.number for t in mine] + [elsewhere.number, 99999], now=LATER,
    )  # fmt: skip
    assert job.state == BulkJob.State.DONE and job.done == 3
    assert [f["number"] for f in job.failed] == [elsewhere.number, 99999]
    assert all(f["reason"] == "no such ticket in your queues" for f in job.failed)
    assert set(Ticket.objects.filter(pk__in=[t.pk for t in mine]).values_list("priority", flat=True)) == {
        "high"
    }
    assert Ticket.objects.get(pk=elsewhere.pk).priority != "high"
    assert AuditEvent.objects.filter(action="ticket.priority").count() == 3
    assert AuditEvent.objects.filter(action="bulk.started").count() == 1


def test_a_refused_change_is_listed_and_the_others_go_on(personas: Personas) -> None:
    first, second = tickets(personas, 2)
    bulk.do_start_bulk(actor=personas.agent, action="status", value="closed", numbers=[first.number], now=NOW)
    job = bulk.do_start_bulk(
        actor=personas.agent, action="status", value="open", numbers=[first.number, second.number], now=LATER
    )
    assert job.done == 1 and job.failed == [
        {"number": first.number, "reason": "a closed ticket cannot be reopened; open a new one"}
    ]


def test_a_large_job_goes_to_the_worker_and_resumes(personas: Personas, settings: object) -> None:
    many = tickets(personas, bulk.INLINE + 5)
    job = bulk.do_start_bulk(
        actor=personas.agent,
        action="assign",
        value=str(personas.agent.pk),
        numbers=[t.number for t in many],
        now=LATER,
    )
    assert job.state == BulkJob.State.QUEUED and job.done == 0  # the worker's (tasks are recorded in tests)
    job.done = 10  # as if a worker had stopped after ten
    job.save()
    for t in many[:10]:
        t.assignee = personas.agent
        t.save()
    bulk.run_bulk(BulkJob.objects.get(pk=job.pk), LATER)
    job.refresh_from_db()
    assert job.state == BulkJob.State.DONE and job.done == len(many) and not job.failed
    assert AuditEvent.objects.filter(action="ticket.assigned").count() == len(many) - 10


def test_merge_many_into_one(personas: Personas) -> None:
    target, *others = tickets(personas, 3)
    job = bulk.do_start_bulk(
        actor=personas.agent, action="merge", value=str(target.number),
        numbers=[target.number] + [t.number for t in others], now=LATER,
    )  # fmt: skip
    assert job.done == 3 and not job.failed
    assert set(Ticket.objects.filter(merged_into=target).values_list("number", flat=True)) == {
        t.number for t in others
    }


@pytest.mark.parametrize(
    ("action", "value", "reason"),
    [("shout", "", "unknown bulk action"), ("merge", "424242", "no ticket #424242"),
     ("status", "gone", "unknown status"), ("assign", "424242", "unknown assignee")],
)  # fmt: skip
def test_a_job_that_cannot_start_is_refused_before_anything_changes(
    personas: Personas, action: str, value: str, reason: str
) -> None:
    (one,) = tickets(personas, 1)
    with pytest.raises(ActionError, match=reason):
        bulk.do_start_bulk(actor=personas.agent, action=action, value=value, numbers=[one.number], now=LATER)
    assert not BulkJob.objects.exists()
    with pytest.raises(ActionError):
        bulk.do_start_bulk(
            actor=personas.customer, action="status", value="open", numbers=[one.number], now=LATER
        )


def test_the_queue_ticks_and_the_job_page_lists_what_was_not_done(personas: Personas) -> None:
    first, second = tickets(personas, 2)
    jonas = signed_in(personas.agent)
    page = jonas.get("/console/queues/central-europe/").content.decode()
    assert page.count('data-testid="bulk-tick"') == 2
    answer = jonas.post(
        "/console/bulk/",
        {"queue": "central-europe", "action": "status", "status": "solved", "tickets": [first.number, 777]},
    )
    job = BulkJob.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/console/bulk/{job.pk}/"
    shown = jonas.get(answer["Location"]).content.decode()
    assert 'data-testid="bulk-failure"' in shown and "no such ticket in your queues" in shown
    assert Ticket.objects.get(pk=first.pk).status == "solved"
    assert Ticket.objects.get(pk=second.pk).status != "solved"
    # Every ticket matching the filters.
    every = {"queue": "central-europe", "action": "priority", "priority": "low", "all_matching": "1"}
    jonas.post("/console/bulk/", {**every, "back": "/console/queues/central-europe/?status=all"})
    assert set(Ticket.objects.values_list("priority", flat=True)) == {"low"}
    # Another agent cannot read the job.
    other = Client()
    other.force_login(personas.lead)
    assert other.get(f"/console/bulk/{job.pk}/").status_code == 404


def test_tags_added_in_bulk_keep_each_tickets_own(personas: Personas) -> None:
    from policydesk.tickets import actions

    first, second = tickets(personas, 2)
    actions.do_set_tags(ticket=first, tags=["export"], actor=personas.agent, now=NOW)
    job = bulk.do_start_bulk(
        actor=personas.agent,
        action="tags",
        value="請求, ＡＰＩ",
        numbers=[first.number, second.number],
        now=LATER,
    )
    assert job.done == 2
    assert sorted(first.tags.values_list("name", flat=True)) == ["api", "export", "請求"]
    assert sorted(second.tags.values_list("name", flat=True)) == ["api", "請求"]
    with pytest.raises(ActionError):
        bulk.do_start_bulk(
            actor=personas.agent, action="tags", value=" , ", numbers=[first.number], now=LATER
        )
