"""Every email the desk sends goes one way (`outgoing.queue_mail`): recorded as an
OutgoingMail, with our loop header and Auto-Submitted when it goes out; the customer rate
limit never drops a staff alert; a sign-in link's token is not kept once sent; a rejected
sender's notice threads under their email."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import override_settings

from policydesk.mail.ingest import process_message
from policydesk.mail.models import OutgoingMail
from policydesk.mail.outgoing import Email, queue_mail
from policydesk.mail.sending import build_email, send
from policydesk.mail.tasks import send_recorded
from policydesk.portal import signin
from policydesk.tickets import actions
from policydesk.watch import notify
from tests.conftest import NOW, Personas
from tests.mail.conftest import rfc5322

pytestmark = pytest.mark.usefixtures("mail_settings")


def _web_ticket(personas: Personas) -> Any:
    result = actions.do_open_ticket(
        requester=personas.customer, topic="troubleshooting", subject="Charts", text="Help",
        channel="web", now=NOW,
    )  # fmt: skip
    assert result.ticket is not None
    return result.ticket


def test_an_sla_alert_is_marked_as_ours_and_automatic(personas: Personas) -> None:
    ticket = _web_ticket(personas)
    alert = queue_mail(
        notify.sla_email(notify.Notice(ticket, "breach"), personas.agent, NOW), now=NOW, key="t1-email-x"
    )
    message = build_email(alert).message()
    assert message["X-PolicyDesk-Notification"] == "sla_breach"
    assert message["Auto-Submitted"] == "auto-generated"  # RFC 3834: not a reply to anything
    assert message["Message-ID"].startswith("<t1-email-x@")


def test_the_customer_rate_limit_never_drops_a_staff_alert(personas: Personas, settings: Any) -> None:
    settings.POLICYDESK_MAIL_RATE_LIMIT = (1, 3600)
    ticket = _web_ticket(personas)
    agent = personas.agent
    ack = Email(
        kind=OutgoingMail.Kind.ACKNOWLEDGEMENT, recipient=agent.email, language="en", subject="s", body="b"
    )
    queue_mail(ack, now=NOW)  # the recipient's whole automatic allowance
    statuses = [
        queue_mail(notify.sla_email(notify.Notice(ticket, kind), agent, NOW), now=NOW, key=f"k-{kind}").status
        for kind in ("warning", "breach")
    ]
    assert statuses == ["queued", "queued"]
    # ... and staff alerts do not use up a customer's allowance either.
    assert queue_mail(ack, now=NOW).status == "suppressed"


def test_a_recorded_mail_with_the_same_key_is_not_recorded_again(personas: Personas) -> None:
    ticket = _web_ticket(personas)
    first = queue_mail(
        notify.sla_email(notify.Notice(ticket, "warning"), personas.agent, NOW), now=NOW, key="once"
    )
    again = queue_mail(
        notify.sla_email(notify.Notice(ticket, "warning"), personas.agent, NOW), now=NOW, key="once"
    )
    assert first.pk == again.pk and OutgoingMail.objects.filter(kind="sla_warning").count() == 1


def test_a_signin_links_token_is_not_kept_once_sent(personas: Personas) -> None:
    signin.send_signin_link.call(personas.customer.email, "en")
    (sent,) = mail.outbox
    assert "/signin/link/" in sent.body
    record = OutgoingMail.objects.get(kind="signin")
    assert (record.status, record.body, record.recipient) == ("sent", "", personas.customer.email)


@override_settings(EMAIL_BACKEND="tests.mail.test_outgoing.FailingBackend", POLICYDESK_MAIL_SEND_ATTEMPTS=1)
def test_a_signin_links_token_is_not_kept_when_sending_gives_up(personas: Personas) -> None:
    recorded = queue_mail(signin.signin_link_email(personas.customer, "en"), now=NOW, enqueue=False)
    with pytest.raises(RuntimeError):
        send_recorded(recorded, NOW)
    recorded.refresh_from_db()
    assert (recorded.status, recorded.body) == ("failed", "")


def test_a_rejected_senders_notice_threads_under_their_email(personas: Personas) -> None:
    process_message(
        rfc5322("""
From: stranger@elsewhere.example
To: support@example.com
Subject: Hello
Message-ID: <hello-1@elsewhere.example>
Content-Type: text/plain; charset=utf-8

Can you help?
"""),
        mailbox="smtp",
        now=NOW,
    )
    notice = OutgoingMail.objects.get(kind="rejection")
    assert (notice.in_reply_to, notice.subject) == ("hello-1@elsewhere.example", "Re: Hello")
    assert send(notice.pk, now=NOW + timedelta(seconds=1)) == "sent"


def test_all_mail_has_one_from(personas: Personas, settings: Any) -> None:
    """mail.conf.from_address() is the one From; Django's own settings for it follow it."""
    from django.core.mail import EmailMessage

    from policydesk.mail import conf

    assert conf.from_address() == "Example Analytics Support <support@example.com>"  # the policy's vendor
    assert str(settings.DEFAULT_FROM_EMAIL) == str(settings.SERVER_EMAIL) == conf.from_address()
    settings.POLICYDESK_MAIL_FROM = "Help <help@example.com>"
    assert str(settings.DEFAULT_FROM_EMAIL) == conf.from_address() == "Help <help@example.com>"
    assert EmailMessage("s", "b", to=["x@kumo.example"]).message()["From"] == "Help <help@example.com>"
    signin.send_signin_link.call(personas.customer.email, "en")
    assert [m.from_email for m in mail.outbox] == ["Help <help@example.com>"]


def test_no_module_but_sending_builds_or_sends_mail() -> None:
    """Every email goes through `outgoing.queue_mail` and `sending.build_email`: nothing else
    builds a message (with a From of its own) or sends one around the record."""
    import re
    from pathlib import Path

    import policydesk

    senders = re.compile(
        r"\b(EmailMessage|EmailMultiAlternatives|send_mail|send_mass_mail|mail_admins|mail_managers)\("
        r"|from_email\s*="
    )
    root = Path(policydesk.__file__).parent
    found = [
        str(path.relative_to(root))
        for path in sorted(root.rglob("*.py"))
        if "migrations" not in path.parts and senders.search(path.read_text(encoding="utf-8"))
    ]
    assert found == ["mail/sending.py"]
