"""The public corpus (../shared/corpus/email/): every message a defined outcome, none raises,
none lost, a second run creates nothing; the Japanese messages decode without U+FFFD."""

from __future__ import annotations

import pytest

from policydesk.mail.decoding import parse_message
from policydesk.mail.ingest import process_message
from policydesk.mail.models import InboundMessage, OutgoingMail
from policydesk.tickets.models import Message, Ticket
from tests.conftest import NOW, Personas
from tests.mail.conftest import CORPUS, corpus_files

pytestmark = [
    pytest.mark.usefixtures("mail_settings"),
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared email corpus is not at {CORPUS}"),
]

OUTCOMES = {"ticket", "reply", "auto", "rejected", "quarantined"}


def test_every_corpus_message_is_taken_once_and_kept_whole(personas: Personas) -> None:
    files = corpus_files()
    assert len(files) > 140  # both folders, recursively
    seen: dict[str, int] = {}
    for path in files:
        result = process_message(path.read_bytes(), mailbox="corpus", now=NOW)
        assert result.outcome in OUTCOMES | {"duplicate"}, path
        seen[result.outcome] = seen.get(result.outcome, 0) + 1
        row = InboundMessage.objects.get(pk=result.inbound.pk)
        if result.outcome == "duplicate":
            # Another corpus file carries the same Message-ID: one message, kept once.
            assert row.key.startswith("mid") and row.message_id in path.read_text("latin-1"), path
        else:
            # None lost: the row holds the bytes exactly as they were.
            assert bytes(row.raw) == path.read_bytes(), path
    assert InboundMessage.objects.filter(outcome="pending").count() == 0
    # Bounces and delivery reports are never answered (C13 loops).
    for name in ("multi_address_bounce1.eml", "report_422.eml", "report_530.eml"):
        row = next(r for r in InboundMessage.objects.all() if bytes(r.raw) == _read(name))
        assert row.outcome == "auto", name
    counts = (InboundMessage.objects.count(), Ticket.objects.count(), Message.objects.count(),
              OutgoingMail.objects.count())  # fmt: skip
    for path in files:
        assert process_message(path.read_bytes(), mailbox="corpus", now=NOW).outcome == "duplicate", path
    assert counts == (InboundMessage.objects.count(), Ticket.objects.count(), Message.objects.count(),
                      OutgoingMail.objects.count())  # fmt: skip
    assert seen.get("auto", 0) >= 8


def _read(name: str) -> bytes:
    return next(p for p in corpus_files() if p.name == name).read_bytes()


@pytest.mark.parametrize(
    "name",
    [
        "japanese.eml",
        "japanese_attachment.eml",
        "japanese_attachment_long_name.eml",
        "japanese_iso_2022.eml",
        "japanese_shift_jis.eml",
    ],
)
def test_japanese_corpus_messages_decode_without_replacement_characters(name: str) -> None:
    parsed = parse_message(_read(name))
    decoded = parsed.subject + parsed.text + "".join(a.filename for a in parsed.attachments)
    assert "\ufffd" not in decoded
    assert any("\u3040" <= ch <= "\u30ff" for ch in decoded)  # kana present: really Japanese


def test_shift_jis_corpus_message_reads_as_written() -> None:
    parsed = parse_message(_read("japanese_shift_jis.eml"))
    assert parsed.text.startswith("あいうえお")
    assert "今後ともよろしくお願い申し上げます！" in parsed.text


def test_korean_ks_c_5601_corpus_message_decodes() -> None:
    assert parse_message(_read("ks_c_5601-1987.eml")).text.strip() == "스티해"


def test_broken_boundary_corpus_messages_keep_their_text() -> None:
    for name in ("raw_email_with_illegal_boundary.eml", "msg_25.txt", "msg_41.txt"):
        assert parse_message(_read(name)).text.strip(), name


def test_corpus_senders_as_customers_get_tickets_from_every_odd_body(personas: Personas) -> None:
    """The same corpus with every sender a known customer: each message still gets a defined
    outcome, now through do_open_ticket with odd bodies, names and attachments."""
    from policydesk.tickets import actions

    organisation = personas.customer.organisation
    addresses = {parse_message(p.read_bytes()).from_address for p in corpus_files()}
    for address in sorted(a for a in addresses if a and len(a) < 200):
        actions.do_create_person(
            email=address, password=None, role="customer", actor=None, now=NOW, organisation=organisation
        )
    outcomes: dict[str, int] = {}
    for path in corpus_files():
        result = process_message(path.read_bytes(), mailbox="corpus-customers", now=NOW)
        assert result.outcome in OUTCOMES | {"duplicate"}, path
        outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
        if result.outcome == "ticket":
            ticket = Ticket.objects.get(number=result.ticket_number)
            assert ticket.attachments.count() == len(result.inbound.attachment_names), path
    assert outcomes["ticket"] >= 60
    assert InboundMessage.objects.filter(outcome="quarantined", reason__startswith="internal").count() == 0
