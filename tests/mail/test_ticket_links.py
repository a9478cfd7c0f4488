"""Every email to a customer about a ticket links to the ticket in the help center (an absolute
URL on POLICYDESK_SITE_URL), and an agent's reply lists its files with links that lead, through
sign-in, to the file, for people who may see the ticket."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from policydesk.mail import outgoing
from policydesk.satisfaction.actions import open_survey
from policydesk.satisfaction.emails import survey_email
from policydesk.tickets import actions
from policydesk.tickets.actions import Upload
from policydesk.tickets.models import MeetingRequest, Ticket
from tests.conftest import NOW, Personas, open_ticket, signed_in

pytestmark = pytest.mark.usefixtures("mail_settings")

SITE = "https://support.example.com"
INTRO = {"en": "Your request in the help center:", "ja": "ヘルプセンターのリクエスト:"}
FILES = {
    "en": "Attached files (sign in to download):",
    "ja": "添付ファイル(ダウンロードにはサインインが必要です):",
}


@pytest.fixture(autouse=True)
def _site(settings: object) -> None:
    settings.SITE_URL = SITE + "/"  # type: ignore[attr-defined]  # a trailing slash is not doubled


def _reply_with_files(personas: Personas) -> tuple[Ticket, outgoing.Email]:
    ticket = open_ticket(personas.customer)
    files = (Upload("画面.png", "image/png", b"png" * 10), Upload("trace.log", "text/plain", b"x" * 2048))
    message = actions.do_agent_reply(
        ticket=ticket, agent=personas.agent, text="See the files.", now=NOW, uploads=files
    )
    return ticket, outgoing.agent_reply_emails(ticket, message)[0]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_customer_email_about_a_ticket_links_to_it(personas: Personas, lang: str) -> None:
    personas.customer.language = lang
    personas.customer.save()
    ticket = open_ticket(personas.customer)
    message = actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Hi", now=NOW)
    target = open_ticket(personas.customer)
    meeting = MeetingRequest(ticket=ticket, requested_by=personas.customer, status="declined")
    emails = {
        "ack": outgoing.acknowledgement_email(ticket),
        "reply": outgoing.agent_reply_emails(ticket, message)[0],
        "left_out": outgoing.left_out_email(ticket, personas.customer, lambda lang: "- big.zip"),
        "meeting": outgoing.meeting_decision_email(meeting),
        "merged": outgoing.merged_emails(ticket, target)[0],
        "satisfaction": survey_email(open_survey(ticket, personas.agent, NOW)),
    }
    for name, email in emails.items():
        about = target if name == "merged" else ticket  # a merge's mail is about the surviving ticket
        url = f"{SITE}/tickets/{about.number}/"
        assert f"{INTRO[lang]} {url}\n" in email.body, name
        assert f'<a href="{url}">{url}</a>' in email.html_body, name
        assert INTRO[lang] in email.html_body, name


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_an_agent_reply_lists_its_files_with_links(personas: Personas, lang: str) -> None:
    personas.customer.language = lang
    personas.customer.save()
    ticket, email = _reply_with_files(personas)
    image, log = ticket.attachments.order_by("id")
    assert FILES[lang] in email.body and FILES[lang] in email.html_body
    assert "画面.png (30\xa0" in email.body
    assert f"trace.log (2.0\xa0KB): {SITE}/attachments/{log.pk}/" in email.body
    assert f'<a href="{SITE}/attachments/{image.pk}/">画面.png</a>' in email.html_body
    # A reply without files says nothing of files.
    plain = actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="No files", now=NOW)
    assert FILES[lang] not in outgoing.agent_reply_emails(ticket, plain)[0].body


def test_the_file_link_leads_through_sign_in_to_the_file_for_those_who_may_see_it(personas: Personas) -> None:
    _ticket, email = _reply_with_files(personas)
    path = re.findall(rf"{SITE}(/attachments/\d+/)", email.body)[1]
    anonymous = Client().get(path)
    assert anonymous.status_code == 302 and anonymous["Location"] == f"/signin/?next={path}"
    signed_in_form = Client().post(
        f"/signin/?next={path}",
        {"email": personas.customer.email, "password": "pw-hanna@kumo.example", "next": path},
    )
    assert signed_in_form.status_code == 302 and signed_in_form["Location"] == path
    download = signed_in(personas.customer).get(path)
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"x" * 2048  # type: ignore[attr-defined]
    assert signed_in(personas.other_org_customer).get(path).status_code == 404
