"""`policydesk mail ingest` (JSON lines, a stable contract) and `policydesk mail quarantine`."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from policydesk.mail.models import InboundMessage
from tests.conftest import Personas
from tests.mail.conftest import rfc5322

pytestmark = pytest.mark.usefixtures("mail_settings")

REQUEST = rfc5322("""
From: hanna@kumo.example
To: support@example.com
Subject: =?ISO-2022-JP?B?GyRCJSglLyU5JV0hPCVIPDpHVBsoQg==?=
Message-ID: <cli-1@kumo.example>
Content-Type: text/plain; charset=utf-8

Export fails.

> quoted history
""")

STRANGER_REPLY = rfc5322("""
From: mallory@elsewhere.example
To: support@example.com
Subject: Re: hello
Message-ID: <cli-2@elsewhere.example>
In-Reply-To: <cli-1@kumo.example>
Content-Type: text/plain

Let me in.
""")


def run(*args: str) -> list[dict[str, object]]:
    out = StringIO()
    call_command("mail", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_ingest_prints_one_json_line_per_file(personas: Personas, tmp_path: Path) -> None:
    first = tmp_path / "request.eml"
    first.write_bytes(REQUEST)
    second = tmp_path / "stranger.eml"
    second.write_bytes(STRANGER_REPLY)
    lines = run("ingest", str(first), str(second), str(first), "--mailbox", "files")
    assert lines[0] == {
        "file": str(first),
        "outcome": "ticket",
        "ticket": lines[0]["ticket"],
        "subject": "エクスポート失敗",
        "body_text": "Export fails.",
        "attachments": [],
        "reason": None,
    }
    assert isinstance(lines[0]["ticket"], int)
    assert lines[1]["outcome"] == "quarantined" and lines[1]["ticket"] == lines[0]["ticket"]
    assert lines[2]["outcome"] == "duplicate"
    assert InboundMessage.objects.get(key="mid:cli-1@kumo.example").mailbox == "files"


def test_ingest_reports_an_unreadable_file_and_goes_on(personas: Personas, tmp_path: Path) -> None:
    good = tmp_path / "good.eml"
    good.write_bytes(REQUEST)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("mail", "ingest", str(tmp_path / "missing.eml"), str(good), stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert set(lines[0]) == {"file", "outcome", "ticket", "subject", "body_text", "attachments", "reason"}
    assert lines[0]["outcome"] == "error" and "cannot read the file" in str(lines[0]["reason"])
    assert lines[1]["outcome"] == "ticket"


def test_quarantine_list_show_and_replay(personas: Personas, tmp_path: Path) -> None:
    request = tmp_path / "request.eml"
    request.write_bytes(REQUEST)
    stranger = tmp_path / "stranger.eml"
    stranger.write_bytes(STRANGER_REPLY)
    run("ingest", str(request), str(stranger))
    row = InboundMessage.objects.get(outcome="quarantined")

    listing = StringIO()
    call_command("mail", "quarantine", "list", stdout=listing)
    assert listing.getvalue().startswith(f"{row.pk}\t") and "not a party" in listing.getvalue()

    shown = StringIO()
    call_command("mail", "quarantine", "show", str(row.pk), stdout=shown)
    assert json.loads(shown.getvalue())["sender"] == "mallory@elsewhere.example"

    # An agent decides the stranger may write: once they are a customer and a participant, replay takes it.
    from policydesk.tickets import actions
    from policydesk.tickets.models import Ticket

    mallory = actions.do_create_person(
        email="mallory@elsewhere.example", password=None, role="customer", actor=None, now=row.received_at,
        organisation=personas.customer.organisation,
    )  # fmt: skip
    Ticket.objects.get().participants.add(mallory)
    (replayed,) = run("quarantine", "replay", str(row.pk))
    assert replayed["outcome"] == "reply"
    with pytest.raises(CommandError, match="not quarantined"):
        call_command("mail", "quarantine", "replay", str(row.pk), stdout=StringIO())


def test_process_takes_pending_messages_as_of_their_arrival(personas: Personas) -> None:
    from policydesk.mail.ingest import store_raw
    from policydesk.tickets.models import Ticket
    from tests.conftest import NOW

    store_raw(REQUEST, mailbox="smtp", envelope=None, now=NOW)
    out = StringIO()
    call_command("mail", "process", stdout=out)
    assert out.getvalue().strip() == "processed 1 pending message(s)"
    ticket = Ticket.objects.get()
    assert ticket.created_at == NOW  # the SLA clock starts when the mail reached us (C3)
    call_command("mail", "process", stdout=out)
    assert Ticket.objects.count() == 1
