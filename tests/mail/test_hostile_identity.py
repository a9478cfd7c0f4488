"""Issue 9, finding 1: nobody poses as a customer (C14). The sender is the addr-spec of the
one mailbox in From, parsed before any encoded-word is decoded, never its display name;
Authentication-Results count only from our own receiving server."""

from __future__ import annotations

import pytest

from policydesk.mail.decoding import parse_address_list, parse_message
from policydesk.mail.ingest import process_message
from policydesk.mail.models import InboundMessage, OutgoingMail
from policydesk.tickets.models import Message, Ticket
from tests.conftest import NOW, Personas
from tests.mail.conftest import rfc5322

pytestmark = pytest.mark.usefixtures("mail_settings")

# The customer's login email; the literal attack used hanna@kumo-retail.example.
HANNA = "hanna@kumo.example"
ENCODED_HANNA = "=?utf-8?b?aGFubmFAa3Vtby5leGFtcGxl?="  # decodes to hanna@kumo.example
LITERAL_ENCODED = "=?utf-8?b?aGFubmFAa3Vtby1yZXRhaWwuZXhhbXBsZQ==?="  # hanna@kumo-retail.example


def message(from_value: str, *, subject: str = "Refund please", extra: str = "", mid: str = "m1") -> bytes:
    return rfc5322(f"""
{extra}From: {from_value}
To: support@example.com
Subject: {subject}
Message-ID: <{mid}@evil.example>
Content-Type: text/plain; charset=utf-8

Please send the refund to my new account.
""")


DMARC_PASS_EVIL = "Authentication-Results: mx.example.com; dmarc=pass header.from=evil.example\n"


@pytest.fixture
def hanna_at_kumo_retail(personas: Personas) -> Personas:
    """Hanna's login email as in the issue's report."""
    personas.customer.email = "hanna@kumo-retail.example"
    personas.customer.save(update_fields=["email"])
    return personas


def test_encoded_word_display_name_is_not_the_sender_c14(hanna_at_kumo_retail: Personas) -> None:
    raw = message(f"{LITERAL_ENCODED} <attacker@evil.example>", extra=DMARC_PASS_EVIL)
    assert parse_message(raw).from_name == "hanna@kumo-retail.example"  # shown, never trusted
    result = process_message(raw, mailbox="smtp", now=NOW)
    assert result.outcome == "rejected" and "attacker@evil.example" in (result.reason or "")
    assert Ticket.objects.count() == 0
    assert InboundMessage.objects.get().sender == "attacker@evil.example"
    # The stranger is told why (as any unknown sender), at the address they really wrote from.
    assert OutgoingMail.objects.get().recipient == "attacker@evil.example"


def test_encoded_word_display_name_is_not_the_sender_even_with_our_servers_dmarc_pass(
    hanna_at_kumo_retail: Personas, settings: object
) -> None:
    settings.POLICYDESK_MAIL_AUTHSERV_ID = "mx.example.com"  # type: ignore[attr-defined]
    raw = message(f"{LITERAL_ENCODED} <attacker@evil.example>", extra=DMARC_PASS_EVIL)
    result = process_message(raw, mailbox="smtp", now=NOW)
    assert result.outcome == "rejected" and Ticket.objects.count() == 0


@pytest.mark.parametrize("authserv_id", ["", "mx.example.com"])
def test_address_as_display_name_does_not_reach_the_customers_ticket_c14(
    hanna_at_kumo_retail: Personas, settings: object, authserv_id: str
) -> None:
    settings.POLICYDESK_MAIL_AUTHSERV_ID = authserv_id  # type: ignore[attr-defined]
    opened = process_message(message("hanna@kumo-retail.example", mid="own"), mailbox="smtp", now=NOW)
    assert opened.outcome == "ticket" and opened.ticket_number == 1
    raw = message(
        "hanna@kumo-retail.example <attacker@evil.example>",
        subject="Re: [#1] Refund please",
        extra=DMARC_PASS_EVIL,
        mid="attack",
    )
    result = process_message(raw, mailbox="smtp", now=NOW)
    # A subject tag counts only for the requester or a participant: a stranger's mail is a new
    # request from an unknown sender, never a reply on Hanna's ticket.
    assert result.outcome == "rejected"
    assert Message.objects.filter(ticket__number=1).count() == 1


def test_look_alike_reply_with_references_is_quarantined_not_appended(personas: Personas) -> None:
    opened = process_message(message(HANNA, mid="own"), mailbox="smtp", now=NOW)
    raw = message(
        f"{HANNA} <attacker@evil.example>",
        subject=f"Re: [#{opened.ticket_number}] Refund please",
        extra="In-Reply-To: <own@evil.example>\n",
        mid="attack",
    )
    result = process_message(raw, mailbox="smtp", now=NOW)
    assert result.outcome == "quarantined" and "attacker@evil.example" in (result.reason or "")
    assert "not a party" in (result.reason or "")
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    ("from_value", "sender", "problem"),
    [
        # A mailbox in the display name and another in angle brackets: the angle one.
        (f'"{HANNA}" <attacker@evil.example>', "attacker@evil.example", ""),
        (f"{ENCODED_HANNA} <attacker@evil.example>", "attacker@evil.example", ""),
        # Comments are whitespace, whatever they hold.
        (f"({HANNA}) attacker@evil.example", "attacker@evil.example", ""),
        (f"(<{HANNA}>) <attacker@evil.example>", "attacker@evil.example", ""),
        ("hanna(the real one)@kumo.example", HANNA, ""),
        # A quoted local part with @ inside is a mailbox at the domain after the quotes.
        (f'"{HANNA}"@evil.example', '"hanna@kumo.example"@evil.example', ""),
        # An encoded word is never decoded into an addr-spec.
        (f"<{ENCODED_HANNA}>", "", "not an address"),
        (f"{ENCODED_HANNA}", "", "not an address"),
        ("<=?utf-8?b?aGFubmE=?=@kumo.example>", "=?utf-8?b?agfubme=?=@kumo.example", ""),
        # Several mailboxes, groups, two angle addresses: no single sender.
        (f"{HANNA}, attacker@evil.example", "", "2 mailboxes"),
        (f"attacker@evil.example, {HANNA}", "", "2 mailboxes"),
        (f"Friends: {HANNA};", "", "group syntax"),
        (f"<attacker@evil.example> <{HANNA}>", "", "not an address"),
        (f'"unterminated <{HANNA}>', "", "not an address"),
        # A display name without angle brackets is no part of the address.
        (f"Hanna {HANNA}", "", "not an address"),
        (f'"Hanna" {HANNA}', "", "not an address"),
        ("hanna @ kumo . example", HANNA, ""),  # obsolete spacing, one address
        ("", "", "no sender address"),
    ],
)
def test_from_is_parsed_before_decoding_and_only_one_mailbox_is_a_sender(
    from_value: str, sender: str, problem: str
) -> None:
    parsed = parse_message(message(from_value))
    assert parsed.from_address == sender
    assert problem in parsed.from_problem and bool(parsed.from_problem) == bool(problem)


def test_raw_8bit_in_the_addr_spec_is_an_address_only_when_it_is_utf8() -> None:
    utf8 = parse_message(b"From: <h\xc3\xa4nna@kumo.example>\r\n\r\nx\r\n")
    assert utf8.from_address == "hänna@kumo.example"  # RFC 6532: never equal to hanna@
    latin1 = parse_message(b"From: <h\xe4nna@kumo.example>\r\n\r\nx\r\n")
    assert latin1.from_address == "" and "not an address" in latin1.from_problem


def test_two_from_headers_have_no_sender(personas: Personas) -> None:
    raw = message("attacker@evil.example", extra=f"From: {HANNA}\n")
    result = process_message(raw, mailbox="smtp", now=NOW)
    assert result.outcome == "quarantined" and "2 From headers" in (result.reason or "")
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    "from_value", [f"{HANNA}, attacker@evil.example", f"Friends: {HANNA};", f"<{ENCODED_HANNA}>"]
)
def test_from_without_one_clear_sender_is_quarantined_not_taken(personas: Personas, from_value: str) -> None:
    result = process_message(message(from_value), mailbox="smtp", now=NOW)
    assert result.outcome == "quarantined" and "no single sender address in From" in (result.reason or "")
    assert Ticket.objects.count() == 0 and OutgoingMail.objects.count() == 0


def test_to_group_syntax_still_yields_its_addresses() -> None:
    parsed = parse_address_list(b"Team: a@x.example, =?utf-8?q?B?= <b@y.example>;, c@z.example")
    assert [m.address for m in parsed.mailboxes] == ["a@x.example", "b@y.example", "c@z.example"]
    assert parsed.group and parsed.mailboxes[1].name == "B"


# -- Authentication-Results -------------------------------------------------------------------


def test_without_our_authserv_id_no_authentication_results_is_trusted(personas: Personas) -> None:
    raw = message(
        HANNA, extra="Authentication-Results: mx.example.com; dmarc=fail header.from=kumo.example\n"
    )
    assert process_message(raw, mailbox="smtp", now=NOW).outcome == "ticket"


def test_only_the_topmost_header_of_our_server_counts(personas: Personas, settings: object) -> None:
    settings.POLICYDESK_MAIL_AUTHSERV_ID = "mx.example.com"  # type: ignore[attr-defined]
    # Ours on top says pass; a forged one below (also claiming our id) says fail: ours counts.
    raw = message(
        HANNA,
        extra="Authentication-Results: mx.example.com; dmarc=pass header.from=kumo.example\n"
        "Authentication-Results: mx.example.com; dmarc=fail header.from=kumo.example\n",
    )
    assert process_message(raw, mailbox="smtp", now=NOW).outcome == "ticket"


def test_our_servers_dmarc_result_for_another_domain_quarantines(
    personas: Personas, settings: object
) -> None:
    """Our server checked another domain than the From we read: the two parsers disagree about
    who wrote the message, which is the look-alike attack itself."""
    settings.POLICYDESK_MAIL_AUTHSERV_ID = "mx.example.com"  # type: ignore[attr-defined]
    raw = message(HANNA, extra=DMARC_PASS_EVIL)
    result = process_message(raw, mailbox="smtp", now=NOW)
    assert result.outcome == "quarantined"
    assert result.reason == (
        "Authentication-Results: DMARC was checked for evil.example, but From is at kumo.example"
    )


def test_dmarc_pass_buys_nothing_beyond_not_failing(personas: Personas, settings: object) -> None:
    settings.POLICYDESK_MAIL_AUTHSERV_ID = "mx.example.com"  # type: ignore[attr-defined]
    raw = message(
        "stranger@kumo.example",
        extra="Authentication-Results: mx.example.com (ours); dmarc=pass (x) header.from=kumo.example\n",
    )
    assert process_message(raw, mailbox="smtp", now=NOW).outcome == "rejected"  # still not a login email


def test_an_address_longer_than_any_mailbox_is_no_sender(personas: Personas) -> None:
    result = process_message(message("a" * 300 + "@evil.example"), mailbox="smtp", now=NOW)
    assert result.outcome == "quarantined" and "not an address" in (result.reason or "")
