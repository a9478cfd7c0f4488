"""Mail we send: acknowledgement with the SLA promise, agent replies, threading headers, the
signed Reply-To, Auto-Submitted on automatic mail, the per-recipient rate limit, retries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from policydesk.mail import outgoing
from policydesk.mail.ingest import process_message
from policydesk.mail.models import MessageLink, OutgoingMail
from policydesk.mail.sending import build_email, send
from policydesk.mail.tasks import send_and_retry
from policydesk.mail.threads import read_reply_address
from policydesk.tickets import actions
from policydesk.tickets.models import MeetingRequest, Ticket
from tests.conftest import NOW, Personas, open_request, open_ticket
from tests.mail.conftest import rfc5322

pytestmark = pytest.mark.usefixtures("mail_settings")


def new_request(sender: str = "hanna@kumo.example", message_id: str = "req-1@kumo.example") -> bytes:
    return rfc5322(f"""
From: {sender}
To: support@example.com
Subject: Dashboard export fails
Message-ID: <{message_id}>
References: <older@kumo.example>
Content-Type: text/plain; charset=utf-8

The CSV export stops at 1000 rows.
""")


def test_acknowledgement_headers_thread_and_mark_it_automatic(personas: Personas) -> None:
    result = process_message(new_request(), mailbox="smtp", now=NOW)
    ack = OutgoingMail.objects.get(kind="ack")
    message = build_email(ack).message()
    assert message["Message-ID"] == f"<{ack.message_id}>" and ack.message_id.endswith("@example.com")
    assert message["Auto-Submitted"] == "auto-replied"  # RFC 3834
    assert message["X-PolicyDesk-Notification"] == "ack"
    assert message["In-Reply-To"] == "<req-1@kumo.example>"
    assert message["References"] == "<older@kumo.example> <req-1@kumo.example>"
    assert message["Subject"] == f"[#{result.ticket_number}] Dashboard export fails"
    signed = read_reply_address(message["Reply-To"])
    assert signed is not None
    assert (signed.ticket_number, signed.person_id) == (result.ticket_number, personas.customer.pk)
    assert MessageLink.objects.filter(message_id=ack.message_id, direction="out").exists()


def test_acknowledgement_task_is_enqueued_in_the_same_transaction(personas: Personas) -> None:
    process_message(new_request(), mailbox="smtp", now=NOW)
    ack = OutgoingMail.objects.get(kind="ack")
    task = DBTaskResult.objects.get()
    assert task.task_path == "policydesk.mail.tasks.send_outgoing_mail" and task.args_kwargs["args"] == [
        ack.pk
    ]


def test_acknowledgement_is_in_the_customers_language_with_the_due_time_in_their_zone(
    personas: Personas,
) -> None:
    customer = personas.customer
    customer.language, customer.time_zone = "ja", "Asia/Tokyo"
    customer.save()
    process_message(new_request(), mailbox="smtp", now=NOW)
    body = OutgoingMail.objects.get(kind="ack").body
    assert "２営業日以内の初期対応" in body  # the policy's Japanese promise (C3)
    assert "(Asia/Tokyo)" in body and "年" in body


def test_sending_goes_through_the_django_backend_once(personas: Personas) -> None:
    process_message(new_request(), mailbox="smtp", now=NOW)
    ack = OutgoingMail.objects.get(kind="ack")
    assert send(ack.pk, now=NOW) == "sent"
    assert send(ack.pk, now=NOW) == "not queued"  # a second worker is harmless
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["hanna@kumo.example"]
    ack.refresh_from_db()
    assert (ack.status, ack.attempts, ack.sent_at) == ("sent", 1, NOW)


class FailingBackend:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: list[Any]) -> int:
        raise ConnectionRefusedError("relay down")


@override_settings(EMAIL_BACKEND="tests.mail.test_outgoing.FailingBackend", POLICYDESK_MAIL_SEND_ATTEMPTS=2)
def test_failed_send_is_retried_later_then_marked_failed(personas: Personas) -> None:
    process_message(new_request(), mailbox="smtp", now=NOW)
    ack = OutgoingMail.objects.get(kind="ack")
    with pytest.raises(RuntimeError, match="attempt 1"):
        send_and_retry(ack.pk, now=NOW)
    ack.refresh_from_db()
    assert (ack.status, ack.attempts) == ("queued", 1) and "relay down" in ack.last_error
    retry = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert retry is not None and retry.run_after == NOW + timedelta(minutes=2)
    with pytest.raises(RuntimeError, match="attempt 2"):
        send_and_retry(ack.pk, now=NOW)
    ack.refresh_from_db()
    assert ack.status == "failed"


def test_agent_reply_goes_to_requester_and_participants_unmarked_and_unlimited(personas: Personas) -> None:
    result = process_message(new_request(), mailbox="smtp", now=NOW)
    ticket = Ticket.objects.get(number=result.ticket_number)
    ticket.participants.add(personas.same_org_customer)
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Which browser do you use?", now=NOW)
    replies = OutgoingMail.objects.filter(kind="reply").order_by("recipient")
    assert [r.recipient for r in replies] == ["felix@kumo.example", "hanna@kumo.example"]
    message = build_email(replies[1]).message()
    assert message["Auto-Submitted"] is None  # a person wrote it
    assert "Which browser do you use?" in replies[1].body
    assert message["In-Reply-To"] == "<req-1@kumo.example>"
    addresses = {read_reply_address(build_email(r).message()["Reply-To"]) for r in replies}
    assert {a.person_id for a in addresses if a} == {personas.customer.pk, personas.same_org_customer.pk}


def test_internal_note_is_never_mailed(personas: Personas) -> None:
    result = process_message(new_request(), mailbox="smtp", now=NOW)
    ticket = Ticket.objects.get(number=result.ticket_number)
    actions.do_add_note(ticket=ticket, agent=personas.agent, text="customer is grumpy", now=NOW)
    assert not OutgoingMail.objects.filter(kind="reply").exists()


def test_automatic_mail_is_rate_limited_per_recipient(personas: Personas, settings: Any) -> None:
    settings.POLICYDESK_MAIL_RATE_LIMIT = (3, 3600)
    for n in range(5):
        process_message(new_request(message_id=f"req-{n}@kumo.example"), mailbox="smtp", now=NOW)
    statuses = list(OutgoingMail.objects.filter(kind="ack").order_by("pk").values_list("status", flat=True))
    assert statuses == ["queued", "queued", "queued", "suppressed", "suppressed"]
    assert DBTaskResult.objects.count() == 3
    later = NOW + timedelta(hours=1, minutes=1)
    process_message(new_request(message_id="req-later@kumo.example"), mailbox="smtp", now=later)
    assert OutgoingMail.objects.filter(kind="ack").order_by("pk").last().status == "queued"  # type: ignore[union-attr]


def test_web_ticket_also_gets_the_acknowledgement_by_email(personas: Personas) -> None:
    open_ticket(personas.customer, subject="From the form", text="x")
    ack = OutgoingMail.objects.get(kind="ack")
    assert ack.in_reply_to == "" and build_email(ack).message()["In-Reply-To"] is None


def test_web_deflection_is_not_mailed(personas: Personas) -> None:
    assert open_request(personas.customer, "feature-request", subject="Dark mode", text="please").deflection
    assert OutgoingMail.objects.count() == 0


@override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}})
def test_immediate_backend_sends_after_commit(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        process_message(new_request(), mailbox="smtp", now=NOW)
    assert len(mail.outbox) == 1
    assert OutgoingMail.objects.get().status == "sent"


@pytest.fixture
def meeting(personas: Personas) -> MeetingRequest:
    """Hanna's call request on a fresh web ticket (C7: Growth may ask)."""
    ticket = open_ticket(personas.customer, subject="Charts", text="Help")
    return actions.do_request_meeting(
        ticket=ticket, customer=personas.customer, reason="Screen share", now=NOW
    )


@pytest.mark.parametrize(
    ("propose", "opening"), [(True, "proposes a one-off call"), (False, "will not be arranged")]
)
def test_a_meeting_decision_is_mailed_to_who_asked_c7(
    personas: Personas, meeting: MeetingRequest, propose: bool, opening: str
) -> None:
    later = NOW + timedelta(hours=1)
    actions.do_decide_meeting(
        meeting=meeting, agent=personas.agent, propose=propose, note="Thu 10:00 CET?", now=later
    )
    mail_row = OutgoingMail.objects.get(kind="meeting")
    assert mail_row.recipient == "hanna@kumo.example" and not mail_row.automatic
    assert opening in mail_row.body and "Thu 10:00 CET?" in mail_row.body
    message = build_email(mail_row).message()
    assert message["Subject"] == f"Re: [#{meeting.ticket.number}] Charts" and message["In-Reply-To"]


def test_a_meeting_decision_that_fails_mails_nothing(personas: Personas, meeting: MeetingRequest) -> None:
    with pytest.raises(actions.ActionError):
        actions.do_decide_meeting(meeting=meeting, agent=personas.agent, propose=True, note=" ", now=NOW)
    assert not OutgoingMail.objects.filter(kind="meeting").exists()


@pytest.mark.parametrize("language", ["", "ja"])
@pytest.mark.parametrize(
    "subject",
    [
        "Export <fails> & 'stops'",
        "Order 123456789012345678 lost",
        "{{ tag }}",
        '請求書が届きません &amp; "quoted"',
        "x" * 249 + " tail",  # cut to 250 at intake: a trailing space the subject line trims
        f"about {outgoing._SHARED_SUBJECT}",  # the placeholders of a shared draft: rendered in full
        f"order {outgoing._SHARED_NUMBER}",
    ],
)
def test_the_acknowledgement_drafted_before_the_transaction_is_the_one_rendered_after_it(
    personas: Personas, premium_customer: Any, language: str, subject: str
) -> None:
    # Its words are rendered before the intake's transaction, with a placeholder for the number
    # (issue 17); what is recorded is word for word the email rendered for the saved ticket.
    from policydesk.mail.outgoing import acknowledgement_email

    for customer in (personas.customer, premium_customer):
        customer.language = language
        customer.save()
        ticket = open_ticket(customer, subject=subject)
        recorded = OutgoingMail.objects.get(kind="ack", ticket=ticket)
        rendered = acknowledgement_email(Ticket.objects.get(pk=ticket.pk))
        assert (recorded.subject, recorded.body, recorded.html_body) == (
            rendered.subject,
            rendered.body,
            rendered.html_body,
        )
        assert f"[#{ticket.number}]" in recorded.subject and f"/{ticket.number}" in recorded.body


def test_acknowledgements_that_differ_only_by_subject_share_one_rendering(personas: Personas) -> None:
    # Issue 17: the words are rendered once for tickets with the same promise and language, the
    # subject put in afterwards; each recorded email is still word for word its own rendering.
    outgoing.forget_shared_drafts()
    subjects = ["Export <fails>", "Charts & maps", "請求書"]
    tickets = [open_ticket(personas.customer, subject=subject) for subject in subjects]
    assert len(outgoing._shared_drafts) == 1
    for ticket in tickets:
        recorded = OutgoingMail.objects.get(kind="ack", ticket=ticket)
        rendered = outgoing.acknowledgement_email(Ticket.objects.get(pk=ticket.pk))
        assert (recorded.subject, recorded.body, recorded.html_body) == (
            rendered.subject,
            rendered.body,
            rendered.html_body,
        )
    assert "Export &lt;fails&gt;" in OutgoingMail.objects.get(ticket=tickets[0], kind="ack").html_body


def test_shared_renderings_are_forgotten_when_a_setting_changes(personas: Personas, settings: Any) -> None:
    open_ticket(personas.customer, subject="Export fails")
    assert outgoing._shared_drafts
    settings.SITE_URL = "https://help.elsewhere.example"
    assert not outgoing._shared_drafts
    ticket = open_ticket(personas.customer, subject="Export fails again")
    assert "https://help.elsewhere.example/" in OutgoingMail.objects.get(kind="ack", ticket=ticket).body


def test_a_placeholder_is_never_a_number_the_subject_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    from policydesk.mail import outgoing

    drawn = iter([5, 7])
    monkeypatch.setattr(outgoing.secrets, "randbelow", lambda _: next(drawn))
    assert outgoing._placeholder_number(f"about {10**17 + 5}") == 10**17 + 7


@pytest.mark.parametrize("number", [0, 7, 1042, 10**17 + 3])
def test_a_ticket_link_is_the_reversed_page_under_any_script_prefix(number: int, settings: Any) -> None:
    """`ticket_url` puts the number into the page's path reversed once per prefix (issue 17)."""
    from django.urls import reverse, set_script_prefix

    settings.SITE_URL = "https://help.example.com/"
    for prefix in ("/", "/desk/"):
        set_script_prefix(prefix)
        try:
            expected = "https://help.example.com" + reverse("ticket", args=[number])
            assert outgoing.ticket_url(Ticket(number=number)) == expected
            assert expected.endswith(f"/tickets/{number}/") and (prefix == "/") != ("/desk/" in expected)
        finally:
            set_script_prefix("/")
