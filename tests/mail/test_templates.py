"""Every email is rendered from its templates (mail.rendering): a one-line subject, a plain-text
part that is never HTML-escaped, and, for the customer mail a person reads, an HTML part that is
autoescaped, fetches nothing, says what the text part says, and speaks the reader's language."""

from __future__ import annotations

import html
import re
from email.message import Message as MimeMessage
from typing import Any

import pytest
from django.core import mail

from policydesk.desk_policy import get_policy
from policydesk.mail import outgoing, rendering
from policydesk.mail.ingest import process_message
from policydesk.mail.models import OutgoingMail
from policydesk.mail.outgoing import Email
from policydesk.mail.sending import build_email, send
from policydesk.portal import signin
from policydesk.satisfaction.actions import open_survey
from policydesk.satisfaction.emails import survey_email
from policydesk.tickets import actions
from policydesk.tickets.models import Deflection, MeetingRequest, Ticket
from policydesk.tickets.signals import InboundEmail
from policydesk.watch import notify, paging
from policydesk.watch.models import Page
from tests.conftest import NOW, Personas, open_ticket
from tests.mail.conftest import rfc5322

pytestmark = pytest.mark.usefixtures("mail_settings")

HOSTILE = '<script>alert("x")</script> & <b>bold</b>'
#: The customer mail a person reads has an HTML part; staff alerts, links and notices to strangers do not.
WITH_HTML = {"ack", "reply", "left_out", "meeting", "deflection", "satisfaction"}


def every_email(personas: Personas, lang: str) -> dict[str, Email]:
    """One of each email the mail and watch apps write, about a ticket whose subject and
    message are hostile HTML, for a customer and an agent who read `lang`."""
    customer, agent = personas.customer, personas.agent
    for person in (customer, agent):
        person.language = lang
        person.save()
    ticket = open_ticket(customer, subject=HOSTILE, text="x", priority="critical")
    message = actions.do_agent_reply(ticket=ticket, agent=agent, text=f"Hello\n\n{HOSTILE}", now=NOW)
    assert message is not None
    route = next(iter(get_policy().routes))
    inbound = InboundEmail(message_id="m@kumo.example", references=[], subject=HOSTILE)
    page = Page.objects.get_or_create(ticket=ticket, defaults={"opened_at": NOW})[0]
    page_message = paging.PageMessage(
        key="k", page=page, ticket=ticket, level=0, paged=[agent], recipient=agent, sent_at=NOW
    )
    meeting = MeetingRequest(ticket=ticket, requested_by=customer, status="proposed", note=HOSTILE)
    return {
        "ack": outgoing.acknowledgement_email(ticket),
        "reply": outgoing.agent_reply_emails(ticket, ticket.messages.latest("pk"))[0],
        "left_out": outgoing.left_out_email(ticket, customer, lambda lang: f"- {HOSTILE}"),
        "meeting": outgoing.meeting_decision_email(meeting),
        "deflection": outgoing.deflection_email(
            Deflection(organisation=customer.organisation, route=route), customer, inbound
        ),
        "rejection": outgoing.rejection_email("stranger@evil.example", lang, inbound),
        "sla_breach": notify.sla_email(notify.Notice(ticket, "breach"), agent, NOW),
        "sla_digest": notify.digest_email(agent, [notify.Notice(ticket, "breach")], NOW),
        "page": paging.page_email(page_message, agent),
        "signin": signin.signin_link_email(customer, lang),
        "satisfaction": survey_email(open_survey(ticket, agent, NOW)),
    }


def visible_text(html_body: str) -> str:
    """The words an HTML part shows: tags dropped, entities read, spaces collapsed."""
    body = re.sub(r"<head>.*?</head>", " ", html_body, flags=re.DOTALL)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_email_has_a_one_line_subject_and_an_unescaped_text_part(personas: Personas, lang: str) -> None:
    for name, email in every_email(personas, lang).items():
        assert email.language == lang, name
        assert email.subject and "\n" not in email.subject, name
        assert email.body.endswith("\n") and not email.body.startswith("\n"), name
        assert "&lt;" not in email.body and "&amp;" not in email.body and "&quot;" not in email.body, name
        assert "&lt;" not in email.subject and "&amp;" not in email.subject, name
    emails = every_email(personas, lang)
    assert HOSTILE in emails["ack"].subject and HOSTILE in emails["ack"].body


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_html_part_only_where_a_person_reads_it(personas: Personas, lang: str) -> None:
    emails = every_email(personas, lang)
    assert {name for name, email in emails.items() if email.html_body} == WITH_HTML


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_html_part_escapes_hostile_content_and_fetches_nothing(personas: Personas, lang: str) -> None:
    for name in WITH_HTML:
        body = every_email(personas, lang)[name].html_body
        assert "<script" not in body.lower() and "<b>bold" not in body, name
        assert f'<html lang="{lang}">' in body, name
        for remote in ("<img", "<link", "<iframe", "<object", "src=", "url(", "@import"):
            assert remote not in body.lower(), (name, remote)
    reply = every_email(personas, lang)["reply"].html_body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in reply


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_html_part_says_what_the_text_part_says(personas: Personas, lang: str) -> None:
    for name in WITH_HTML:
        email = every_email(personas, lang)[name]
        shown = visible_text(email.html_body)
        lines = [line.strip() for line in email.body.splitlines() if line.strip() and line.strip() != "--"]
        assert [line for line in lines if line not in shown] == [], name


def test_japanese_customer_gets_japanese_in_both_parts(personas: Personas) -> None:
    customer = personas.customer
    customer.language, customer.time_zone = "ja", "Asia/Tokyo"
    customer.save()
    ack = outgoing.acknowledgement_email(open_ticket(customer, subject="エクスポート失敗"))
    for part in (ack.body, visible_text(ack.html_body)):
        assert "を受け付けました" in part and "２営業日以内の初期対応" in part and "(Asia/Tokyo)" in part
        assert "このメールにご返信ください" in part
        assert "We have received" not in part


def test_the_html_part_goes_out_as_an_alternative_of_the_text(personas: Personas) -> None:
    process_message(
        rfc5322("""
From: hanna@kumo.example
To: support@example.com
Subject: Dashboard export fails
Message-ID: <req-1@kumo.example>

The CSV export stops at 1000 rows.
"""),
        mailbox="smtp",
        now=NOW,
    )
    ack = OutgoingMail.objects.get(kind="ack")
    assert ack.html_body.startswith("<!DOCTYPE html>")
    message = build_email(ack).message()
    assert message.get_content_type() == "multipart/alternative"
    parts: list[MimeMessage] = message.get_payload()  # type: ignore[assignment]
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    assert send(ack.pk, now=NOW) == "sent"
    (sent,) = mail.outbox
    assert sent.alternatives[0] == (ack.html_body, "text/html")  # type: ignore[attr-defined]


def test_text_only_mail_goes_out_as_plain_text(personas: Personas) -> None:
    ticket: Ticket = open_ticket(personas.customer)
    alert = outgoing.queue_mail(
        notify.sla_email(notify.Notice(ticket, "warning"), personas.agent, NOW), now=NOW
    )
    assert build_email(alert).message().get_content_type() == "text/plain"


def test_a_purged_secret_takes_the_html_part_with_it(personas: Personas) -> None:
    secret = Email(
        kind=OutgoingMail.Kind.SIGNIN, recipient=personas.customer.email, language="en",
        subject="Your link", body="token-123", html_body="<p>token-123</p>", person=personas.customer,
    )  # fmt: skip
    recorded = outgoing.queue_mail(secret, now=NOW)
    assert send(recorded.pk, now=NOW) == "sent"
    recorded.refresh_from_db()
    assert (recorded.status, recorded.body, recorded.html_body) == ("sent", "", "")


def test_the_renderer_keeps_the_subject_on_one_line(settings: Any) -> None:
    words = rendering.render("mail/rejection", {"original_subject": "a\r\nBcc: x@evil.example"}, "en")
    assert words.subject == "Re: a Bcc: x@evil.example"
    assert words.html_body == ""


def test_the_digest_names_the_plan_as_the_policy_does(personas: Personas) -> None:
    """The digest once showed the plan id where the single alert showed the policy's name."""
    from policydesk.desk_policy import plan_name

    ticket = open_ticket(personas.customer)
    digest = notify.digest_email(
        personas.agent, [notify.Notice(ticket, "breach"), notify.Notice(ticket, "warning")], NOW
    )
    alert = notify.sla_email(notify.Notice(ticket, "breach"), personas.agent, NOW)
    named = f"(plan {plan_name('growth', 'en')})"
    assert named != "(plan growth)" and named in digest.body and named in alert.body
