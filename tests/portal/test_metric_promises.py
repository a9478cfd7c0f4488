"""The customer's promises beyond the first response (issue 15): on the portal's ticket page, the
next reply after they wrote, the next update and the resolution target, in both languages; the
bundled policy (first response only) shows exactly what it did. Through the real actions."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import time_machine
from django.test import Client

from policydesk.tickets import actions
from policydesk.tickets.models import Ticket
from tests.conftest import Personas, open_ticket, signed_in


def z(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00").astimezone(UTC)


def promises(client: Client, ticket: Ticket, at: str) -> list[tuple[str, str]]:
    with time_machine.travel(z(at), tick=False):
        html = client.get(f"/tickets/{ticket.number}/").content.decode()
    found = r'data-testid="metric-promise" data-kind="(\w+)">\s*<p class="promise-text"'
    return re.findall(found + r' data-testid="promise-text">([^<]+)<', html)


def set_language(personas: Personas, time_zone: str, language: str) -> None:
    personas.customer.time_zone, personas.customer.language = time_zone, language
    personas.customer.save(update_fields=["time_zone", "language"])  # test set-up


def answered_then_written(personas: Personas) -> Ticket:
    # Growth, central-europe 09:00-17:00 UTC. Tue 10:00 opened, 11:00 the agent asks (pending),
    # 13:00 the customer answers: a next reply is owed by 15:00 (2 business hours).
    ticket = open_ticket(personas.customer, now=z("2026-12-01T10:00:00"))
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Which?", now=z("2026-12-01T11:00:00"))
    actions.do_customer_reply(
        ticket=ticket, customer=personas.customer, text="All", now=z("2026-12-01T13:00:00")
    )
    return ticket


def test_after_the_customer_writes_they_are_promised_a_reply(
    personas: Personas, every_metric_policy: Path
) -> None:
    set_language(personas, "Europe/Berlin", "en")
    ticket = answered_then_written(personas)
    assert promises(signed_in(personas.customer), ticket, "2026-12-01T13:30:00") == [
        ("next_reply", "We will reply to your message by Tue 1 Dec 2026, 16:00 (Europe/Berlin)."),
        ("periodic_update", "We will update you by Wed 2 Dec 2026, 14:00 (Europe/Berlin)."),
        ("resolution", "Resolution target: Fri 4 Dec 2026, 13:00 (Europe/Berlin)."),  # 24 h, paused 11-13
    ]


def test_the_promises_in_japanese(personas: Personas, every_metric_policy: Path) -> None:
    set_language(personas, "Asia/Tokyo", "ja")
    ticket = answered_then_written(personas)
    got = dict(promises(signed_in(personas.customer), ticket, "2026-12-01T13:30:00"))
    assert got["next_reply"] == "2026年12月2日(水) 00:00 (Asia/Tokyo)までにお客様のメッセージに返信します。"
    assert got["resolution"] == "解決目標: 2026年12月4日(金) 21:00 (Asia/Tokyo)"


def test_while_pending_the_resolution_clock_is_stopped(personas: Personas, every_metric_policy: Path) -> None:
    set_language(personas, "Europe/Berlin", "en")
    ticket = open_ticket(personas.customer, now=z("2026-12-01T10:00:00"))
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Which?", now=z("2026-12-01T11:00:00"))
    assert promises(signed_in(personas.customer), ticket, "2026-12-01T12:00:00") == [
        ("resolution", "Resolution: the clock is stopped while we wait for your answer."),
        ("periodic_update", "Periodic update: the clock is stopped while we wait for your answer."),
    ]


def test_the_bundled_policy_promises_the_first_response_only(personas: Personas) -> None:
    ticket = answered_then_written(personas)
    client = signed_in(personas.customer)
    assert promises(client, ticket, "2026-12-01T13:30:00") == []
    with time_machine.travel(z("2026-12-01T13:30:00"), tick=False):
        html = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert html.count('class="promise ') == 1 and 'data-kind="answered"' in html
