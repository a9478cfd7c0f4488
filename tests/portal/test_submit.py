"""The request form: a ticket with a promise in the viewer's zone (C3, C6), or a page that
sends the customer where the policy says (C2, C12, C17-C20); attachments; CSRF."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from policydesk.tickets.models import Deflection, Feedback, Person, Ticket
from tests.conftest import NOW, Personas, new_customer, signed_in
from tests.portal.conftest import set_profile


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def customer_of(plan: str, region: str = "emea", **organisation: Any) -> Person:
    return new_customer(
        f"someone@{plan}.example", plan, region, organisation_name=f"{plan} org", password="pw",
        organisation=organisation,
    )  # fmt: skip


def submit(client: Client, topic: str = "troubleshooting", **fields: Any) -> Any:
    form = {
        "topic": topic,
        "priority": "normal",
        "subject": "Charts are empty",
        "description": "Since this morning, every chart is empty.",
    }
    form.update(fields)
    return client.post("/tickets/new/", form)


def test_form_lists_request_types_and_out_of_scope_topics_with_priority_definitions(
    personas: Personas,
) -> None:
    body = signed_in(personas.customer).get("/tickets/new/").content.decode()
    assert "<optgroup" in body and 'value="troubleshooting"' in body and 'value="plan-question"' in body
    assert 'data-testid="priority-definition-critical"' in body
    assert "Includes login problems." in body  # C15 definition beside the choice


def test_form_speaks_the_viewers_language(personas: Personas) -> None:
    set_profile(personas.customer, language="ja")
    response = signed_in(personas.customer).get("/tickets/new/", HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert response["Content-Language"] == "ja"
    assert "トラブルシューティング" in body and "ログイン問題を含みます" in body  # policy texts in Japanese


def test_submit_opens_a_ticket_and_promises_an_answer_in_the_viewers_zone(personas: Personas) -> None:
    set_profile(personas.customer, time_zone="Europe/Berlin")
    client = signed_in(personas.customer)
    response = submit(client)
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/tickets/{ticket.number}/"
    assert ticket.channel == "web" and ticket.office == "central-europe"
    page = client.get(response["Location"]).content.decode()
    # Growth, EMEA, Tue 18:00Z: due Thu 3 Dec 17:00Z = 18:00 in Berlin (C3, C8, C9).
    assert "We will answer by Thu 3 Dec 2026, 18:00 (Europe/Berlin)." in page
    assert "Initial response within 2 business days" in page


def test_promise_in_japanese_and_tokyo_time(personas: Personas) -> None:
    set_profile(personas.customer, time_zone="Asia/Tokyo", language="ja")
    client = signed_in(personas.customer)
    page = client.get(submit(client)["Location"]).content.decode()
    assert "2026年12月4日(金) 02:00 (Asia/Tokyo)" in page


def test_mission_critical_ticket_says_on_call_was_paged(db: None) -> None:
    customer = customer_of("premium", region="americas")
    client = signed_in(customer)
    page = client.get(submit(client, topic="bug-report-critical", priority="critical")["Location"])
    text = page.content.decode()
    assert "On-call has been paged. Mission-critical: we will answer within 2 hours" in text  # C6
    assert Ticket.objects.get().mission_critical


def test_plan_without_commitment_gets_a_truthful_sentence(db: None) -> None:
    customer = customer_of("plus", region="americas")
    client = signed_in(customer)
    text = client.get(submit(client)["Location"]).content.decode()
    assert "has no first-response time commitment" in text and "We will answer by" not in text  # C3


def test_starter_troubleshooting_is_sent_to_the_community(db: None) -> None:
    customer = customer_of("starter")
    client = signed_in(customer)
    response = submit(client, topic="troubleshooting")
    deflection = Deflection.objects.get()
    assert response["Location"] == f"/deflected/{deflection.pk}/" and not Ticket.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert 'data-route-kind="community"' in page and "https://community.example.com" in page  # C19
    assert "https://help.example.com/free-plans" in page  # C20


def test_growth_plan_question_shows_the_account_executives_address(db: None) -> None:
    customer = customer_of("growth", account_executive="erika.ae@example.com")
    client = signed_in(customer)
    page = client.get(submit(client, topic="plan-question")["Location"]).content.decode()
    assert "Please contact your account executive." in page  # C17
    assert 'href="mailto:erika.ae@example.com"' in page and "free-plans" not in page


def test_deflection_page_in_japanese(db: None) -> None:
    customer = customer_of("starter")
    set_profile(customer, language="ja")
    client = signed_in(customer)
    page = client.get(submit(client, topic="plan-question")["Location"]).content.decode()
    assert "global-sdr@example.com から担当営業チームにご連絡ください。" in page


def test_feature_request_is_recorded_as_feedback(personas: Personas) -> None:
    client = signed_in(personas.customer)
    page = client.get(submit(client, topic="feature-request", description="Dark mode")["Location"])
    assert 'data-testid="feedback-recorded"' in page.content.decode()  # C18
    assert Feedback.objects.get().text == "Dark mode"


def test_only_the_sender_sees_a_deflection_page(personas: Personas) -> None:
    response = submit(signed_in(personas.customer), topic="product-training")
    assert signed_in(personas.same_org_customer).get(response["Location"]).status_code == 404


def test_attachments_are_stored_with_the_first_message(personas: Personas) -> None:
    files = [SimpleUploadedFile("a.log", b"line 1"), SimpleUploadedFile("b.png", b"\x89PNG", "image/png")]
    submit(signed_in(personas.customer), attachments=files)
    ticket = Ticket.objects.get()
    assert sorted(ticket.attachments.values_list("filename", flat=True)) == ["a.log", "b.png"]


def test_attachment_over_the_limit_is_refused_and_nothing_is_opened(
    personas: Personas, settings: Any
) -> None:
    settings.POLICYDESK_MAX_ATTACHMENT_BYTES = 10
    response = submit(signed_in(personas.customer), attachments=[SimpleUploadedFile("big.bin", b"x" * 11)])
    assert response.status_code == 400 and "larger than the limit" in response.content.decode()
    assert not Ticket.objects.exists()


def test_unknown_topic_is_a_form_error(personas: Personas) -> None:
    response = submit(signed_in(personas.customer), topic="world-domination")
    assert response.status_code == 400 and not Ticket.objects.exists()


def test_request_form_enforces_csrf(personas: Personas) -> None:
    client = signed_in(personas.customer, enforce_csrf_checks=True)
    assert submit(client).status_code == 403 and not Ticket.objects.exists()


def test_anonymous_visitor_is_sent_to_sign_in(db: None) -> None:
    response = Client().get("/tickets/new/")
    assert response.status_code == 302 and response["Location"] == "/signin/?next=/tickets/new/"


def test_form_states_the_total_the_request_cap_allows(personas: Personas, settings: Any) -> None:
    """The request is refused whole above POLICYDESK_MAX_REQUEST_BYTES (issue 9): say so."""
    settings.POLICYDESK_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
    settings.POLICYDESK_MAX_REQUEST_BYTES = 21 * 1024 * 1024
    body = signed_in(personas.customer).get("/tickets/new/").content.decode()
    assert "each at most 10.0\xa0MB, 20.0\xa0MB in all." in body
