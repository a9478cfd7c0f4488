"""Messages and attachments through the API: who sees what, who may write what, files as downloads."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from policydesk.tickets.models import Message, Ticket
from tests.api.conftest import Desk


def test_customers_never_see_internal_notes(desk: Desk, as_person: Any) -> None:
    path = f"/tickets/{desk.eu_ticket.number}/messages"
    customer_view = as_person("customer").get(path).json()
    agent_view = as_person("agent").get(path).json()
    assert [m["kind"] for m in customer_view] == ["public"]
    assert [m["kind"] for m in agent_view] == ["public", "internal"]
    first = customer_view[0]
    assert first["text"] == "Since this morning." and first["created_at"] == "2026-12-01T18:00:00Z"
    assert [a["filename"] for a in first["attachments"]] == ["chart.png"]
    assert first["attachments"][0]["url"] == f"/api/v1/attachments/{desk.eu_attachment.pk}"


def test_first_public_agent_reply_stops_the_clock_and_a_note_does_not(desk: Desk, as_person: Any) -> None:
    path = f"/tickets/{desk.eu_ticket.number}/messages"
    note = as_person("agent").post(path, {"text": "Checking the logs", "kind": "internal"})
    assert note.status_code == 201 and note.json()["kind"] == "internal"
    assert Ticket.objects.get(pk=desk.eu_ticket.pk).first_responded_at is None
    reply = as_person("agent").post(path, {"text": "Fixed, please check."})
    assert reply.status_code == 201 and reply.json()["kind"] == "public"
    ticket = Ticket.objects.get(pk=desk.eu_ticket.pk)
    assert ticket.first_responded_at is not None and ticket.status == "pending"


def test_customer_reply_reopens_and_may_not_be_internal(desk: Desk, as_person: Any) -> None:
    path = f"/tickets/{desk.eu_ticket.number}/messages"
    as_person("agent").post(path, {"text": "Try again?"})
    assert as_person("customer").post(path, {"text": "psst", "kind": "internal"}).status_code == 403
    reply = as_person("customer").post(
        path, {"text": "Still broken", "html": "<b>Still</b><script>x</script>"}
    )
    assert reply.status_code == 201
    assert reply.json()["html"] == "<b>Still</b>"  # sanitised by the action
    assert Ticket.objects.get(pk=desk.eu_ticket.pk).status == "open"


def test_empty_reply_is_refused_with_the_actions_words(desk: Desk, as_person: Any) -> None:
    response = as_person("agent").post(f"/tickets/{desk.eu_ticket.number}/messages", {"text": "  "})
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "rejected", "message": "a reply needs text", "details": []}


def test_upload_attaches_a_file_to_a_reply(desk: Desk, as_person: Any) -> None:
    response = as_person("customer").upload(
        f"/tickets/{desk.eu_ticket.number}/attachments",
        {"file": SimpleUploadedFile("log.txt", b"line 1\nline 2", "text/plain")},
    )
    assert response.status_code == 201, response.content
    attachment = response.json()["attachments"][0]
    assert (attachment["filename"], attachment["size"], attachment["content_type"]) == (
        "log.txt",
        13,
        "text/plain",
    )
    listed = as_person("customer").get(f"/tickets/{desk.eu_ticket.number}/attachments").json()
    assert [a["filename"] for a in listed] == ["chart.png", "log.txt"]
    download = as_person("agent").get(f"/attachments/{attachment['id']}")
    assert download.body == b"line 1\nline 2"


def test_upload_over_the_limit_is_refused(desk: Desk, as_person: Any, settings: Any) -> None:
    settings.POLICYDESK_MAX_ATTACHMENT_BYTES = 1024 * 1024
    big = SimpleUploadedFile("dump.bin", b"x" * (1024 * 1024 + 1), "application/octet-stream")
    response = as_person("customer").upload(f"/tickets/{desk.eu_ticket.number}/attachments", {"file": big})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert not Message.objects.filter(ticket=desk.eu_ticket, attachments__filename="dump.bin").exists()


def test_upload_needs_a_file(desk: Desk, as_person: Any) -> None:
    response = as_person("customer").upload(f"/tickets/{desk.eu_ticket.number}/attachments", {"text": "hi"})
    assert response.status_code == 422


def test_downloads_are_never_shown_inline(desk: Desk, as_person: Any) -> None:
    png = as_person("customer").get(f"/attachments/{desk.eu_attachment.pk}")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert (
        png["Content-Disposition"].startswith("attachment;")
        and 'filename="chart.png"' in png["Content-Disposition"]
    )
    assert png["X-Content-Type-Options"] == "nosniff"
    html = as_person("premium_customer").get(f"/attachments/{desk.premium_attachment.pk}")
    # An uploaded HTML file is bytes to the browser: no type it could render, and a sandbox.
    assert html["Content-Type"] == "application/octet-stream"
    assert html["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in html["Content-Security-Policy"]
    assert html.body == b"<script>alert(1)</script>"


def test_a_missing_file_is_a_404_not_a_crash(desk: Desk, as_person: Any) -> None:
    desk.eu_attachment.file.delete(save=False)
    assert as_person("customer").get(f"/attachments/{desk.eu_attachment.pk}").status_code == 404
