"""Notification emails (inbox/mailing.py): immediate while few, a digest when many or by choice,
held outside the agent's office hours, the profile's switches honoured, each mailed once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django_tasks_db.models import DBTaskResult

from policydesk.inbox import actions as inbox_actions
from policydesk.inbox import mailing
from policydesk.inbox.models import Notification
from policydesk.mail.models import OutgoingMail
from policydesk.tickets import actions
from policydesk.tickets.models import Person, Ticket
from policydesk.watch import config
from tests.conftest import NOW, Personas, open_ticket

IN_HOURS = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # Central Europe is open (09:00-17:00 UTC)
NEXT_OPENING = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # after NOW, Tuesday 18:00 UTC


def assign(personas: Personas, now: datetime) -> Ticket:
    ticket = open_ticket(personas.customer, now=now)
    return actions.do_assign(ticket=ticket, assignee=personas.agent, actor=personas.lead, now=now)


def reply(personas: Personas, ticket: Ticket, now: datetime, text: str = "Still broken") -> None:
    actions.do_customer_reply(ticket=ticket, customer=personas.customer, text=text, now=now)


def mails() -> list[OutgoingMail]:
    return list(OutgoingMail.objects.filter(kind__in=["notice", "notice_digest"]).order_by("pk"))


def test_one_notification_in_hours_is_mailed_at_once_and_only_once(personas: Personas) -> None:
    ticket = assign(personas, IN_HOURS)
    notification = Notification.objects.get()
    assert notification.email_after == IN_HOURS
    task = DBTaskResult.objects.get(task_path="policydesk.inbox.tasks.send_notification_mail")
    assert task.args_kwargs["args"] == [personas.agent.pk]

    outgoing = mailing.send_due(personas.agent.pk, IN_HOURS)
    assert outgoing is not None
    assert (outgoing.kind, outgoing.recipient, outgoing.ticket) == ("notice", "jonas@example.com", ticket)
    assert (
        outgoing.subject
        == f"[#{ticket.number}] lead@example.com assigned ticket #{ticket.number} to you: Charts are empty"
    )
    assert f"/console/tickets/{ticket.number}/" in outgoing.body
    assert outgoing.message_id.startswith(f"notice-{notification.pk}@")
    assert mailing.send_due(personas.agent.pk, IN_HOURS + timedelta(minutes=1)) is None
    notification.refresh_from_db()
    assert notification.emailed_at == IN_HOURS
    assert len(mails()) == 1


def test_a_reply_email_quotes_the_reply(personas: Personas) -> None:
    ticket = assign(personas, IN_HOURS)
    mailing.send_due(personas.agent.pk, IN_HOURS)
    reply(personas, ticket, IN_HOURS + timedelta(minutes=1), text="The charts are\nstill empty")
    outgoing = mailing.send_due(personas.agent.pk, IN_HOURS + timedelta(minutes=1))
    assert outgoing is not None
    assert "> The charts are still empty" in outgoing.body
    assert "hanna@kumo.example replied on ticket" in outgoing.subject


def test_outside_office_hours_the_email_is_held_until_the_agents_office_opens(personas: Personas) -> None:
    assign(personas, NOW)
    assert Notification.objects.get().email_after == NEXT_OPENING
    task = DBTaskResult.objects.get(task_path="policydesk.inbox.tasks.send_notification_mail")
    assert task.run_after == NEXT_OPENING
    assert mailing.send_due(personas.agent.pk, NEXT_OPENING - timedelta(minutes=1)) is None
    assert mailing.send_due(personas.agent.pk, NEXT_OPENING) is not None


def test_several_held_overnight_come_as_one_digest(personas: Personas) -> None:
    ticket = assign(personas, NOW)
    for minutes in (10, 20):
        reply(personas, ticket, NOW + timedelta(minutes=minutes))
    assert {n.email_after for n in Notification.objects.all()} == {NEXT_OPENING}
    digest = mailing.send_due(personas.agent.pk, NEXT_OPENING)
    assert digest is not None and digest.kind == "notice_digest"
    assert digest.subject == "3 notifications in the support console"
    assert digest.body.count(f"/console/tickets/{ticket.number}/") == 3
    assert "/console/notifications/" in digest.body


def test_immediate_while_few_then_a_digest_when_many(personas: Personas) -> None:
    ticket = assign(personas, IN_HOURS)
    mailing.send_due(personas.agent.pk, IN_HOURS)
    moments = [IN_HOURS + timedelta(minutes=m) for m in (1, 2, 3, 4)]
    for moment in moments:  # each task runs right after its notification commits
        reply(personas, ticket, moment)
        mailing.send_due(personas.agent.pk, moment)
    # The assignment and two replies: BURST (3) emails in the window; the next two wait for it.
    assert [m.kind for m in mails()] == ["notice", "notice", "notice"]
    held = Notification.objects.filter(emailed_at=None)
    assert {n.email_after for n in held} == {moments[2] + mailing.WINDOW}
    digest = mailing.send_due(personas.agent.pk, moments[2] + mailing.WINDOW)
    assert digest is not None and digest.subject == "2 notifications in the support console"


def test_a_digest_by_choice_gathers_for_an_hour(personas: Personas) -> None:
    actions.do_update_profile(person=personas.agent, actor=personas.agent, now=IN_HOURS, delivery="digest")
    ticket = assign(personas, IN_HOURS)
    reply(personas, ticket, IN_HOURS + timedelta(minutes=30))
    assert {n.email_after for n in Notification.objects.all()} == {IN_HOURS + mailing.DIGEST_WINDOW}
    assert mailing.send_due(personas.agent.pk, IN_HOURS + timedelta(minutes=59)) is None
    digest = mailing.send_due(personas.agent.pk, IN_HOURS + mailing.DIGEST_WINDOW)
    assert digest is not None and digest.kind == "notice_digest"


def test_a_kind_switched_off_in_the_profile_is_shown_but_not_mailed(personas: Personas) -> None:
    agent = personas.agent
    actions.do_update_profile(person=agent, actor=agent, now=IN_HOURS, emails={"assigned": False})
    assign(personas, IN_HOURS)
    notification = Notification.objects.get()
    assert notification.email_after is None
    assert not DBTaskResult.objects.filter(task_path="policydesk.inbox.tasks.send_notification_mail").exists()
    assert mailing.send_due(agent.pk, IN_HOURS) is None


def test_switched_off_or_read_while_held_is_not_mailed(personas: Personas) -> None:
    ticket = assign(personas, NOW)
    reply(personas, ticket, NOW + timedelta(minutes=1))
    inbox_actions.do_mark_read(person=personas.agent, now=NOW + timedelta(minutes=2), ticket=ticket)
    assert mailing.send_due(personas.agent.pk, NEXT_OPENING) is None
    assert not mails()


def test_a_mission_critical_tickets_notification_is_mailed_at_once_outside_hours(
    personas: Personas, premium_customer: Person
) -> None:
    sunday = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    ticket = open_ticket(premium_customer, "bug-report-critical", sunday)
    assert ticket.mission_critical
    actions.do_assign(ticket=ticket, assignee=personas.premium_agent, actor=personas.lead, now=sunday)
    assert Notification.objects.get().email_after == sunday


def test_the_email_is_in_the_agents_language(personas: Personas) -> None:
    actions.do_update_profile(person=personas.agent, actor=personas.agent, now=IN_HOURS, language="ja")
    ticket = assign(personas, IN_HOURS)
    outgoing = mailing.send_due(personas.agent.pk, IN_HOURS)
    assert outgoing is not None and outgoing.language == "ja"
    assert f"lead@example.com さんがチケット #{ticket.number} をあなたに割り当てました" in outgoing.subject
    assert f"チケットを開く：{config.ticket_url(ticket.number)}" in outgoing.body
