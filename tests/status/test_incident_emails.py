"""Incident updates reach confirmed subscribers by email, once, through the task worker (C16)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import transaction

from policydesk.mail.models import OutgoingMail
from policydesk.status import actions, tasks
from policydesk.status.models import Component, Incident, Subscriber
from policydesk.tickets.actions import ActionError
from tests.conftest import NOW, Personas
from tests.status.conftest import enqueued, open_incident, run_worker


def subscriber(email: str, *, confirmed: bool = True, left: bool = False, language: str = "en") -> Subscriber:
    made = actions.do_subscribe(email=email, language=language, now=NOW - timedelta(days=2))
    if confirmed:
        made = actions.do_confirm_subscription(subscriber=made, now=NOW - timedelta(days=2))
    if left:
        made = actions.do_unsubscribe(subscriber=made, now=NOW - timedelta(days=1))
    return made


@pytest.fixture
def audience(db: None) -> dict[str, Subscriber]:
    made = {
        "confirmed": subscriber("yes@example.org"),
        "japanese": subscriber("hai@example.jp", language="ja"),
        "unconfirmed": subscriber("maybe@example.org", confirmed=False),
        "left": subscriber("gone@example.org", left=True),
    }
    run_worker()  # the confirmation emails
    mail.outbox.clear()
    return made


def test_an_update_enqueues_one_email_per_confirmed_subscriber_only(
    personas: Personas, components: dict[str, Component], audience: dict[str, Subscriber]
) -> None:
    incident = open_incident(personas, components)
    (fan_out,) = enqueued("fan_out_update")
    assert enqueued("send_update_email") == []  # nothing is sent in the request itself
    run_worker()
    assert sorted(m.to[0] for m in mail.outbox) == ["hai@example.jp", "yes@example.org"]
    assert incident.updates.get().fanned_out_at is not None
    assert fan_out.pk  # claimed and run by the worker


def test_update_email_is_in_the_subscribers_language_with_links(
    personas: Personas, components: dict[str, Component], audience: dict[str, Subscriber]
) -> None:
    incident = open_incident(personas, components)
    run_worker()
    by_address = {m.to[0]: m for m in mail.outbox}
    english, japanese = by_address["yes@example.org"], by_address["hai@example.jp"]
    assert "Dashboards do not load" in english.subject and "We are looking into" in english.body
    assert "ダッシュボードが表示されない" in japanese.subject and "調査しています" in japanese.body
    link = f"https://support.example.com/status/incidents/{incident.pk}/"
    assert link in english.body and link in japanese.body
    assert english.extra_headers["List-Unsubscribe"].startswith(
        "<https://support.example.com/status/unsubscribe/"
    )
    assert english.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_each_update_is_sent_out_once_even_if_the_fan_out_runs_twice(
    personas: Personas, components: dict[str, Component], audience: dict[str, Subscriber]
) -> None:
    incident = open_incident(personas, components)
    update = incident.updates.get()
    assert tasks.fan_out_update.call(update.pk) == 2
    assert tasks.fan_out_update.call(update.pk) == 0  # a second worker, or a retry, finds it claimed
    run_worker()  # the original fan-out task also runs: it too finds the update claimed
    assert len(mail.outbox) == 2


def test_who_unsubscribes_before_the_email_goes_out_gets_nothing(
    personas: Personas, components: dict[str, Component], audience: dict[str, Subscriber]
) -> None:
    incident = open_incident(personas, components)
    tasks.fan_out_update.call(incident.updates.get().pk)
    actions.do_unsubscribe(subscriber=audience["japanese"], now=NOW)
    run_worker()
    assert [m.to[0] for m in mail.outbox] == ["yes@example.org"]


def test_every_update_is_emailed(
    personas: Personas, components: dict[str, Component], audience: dict[str, Subscriber]
) -> None:
    incident = open_incident(personas, components)
    actions.do_post_incident_update(
        incident=incident,
        state="resolved",
        body="Fixed.",
        actor=personas.agent,
        now=NOW + timedelta(minutes=40),
    )
    run_worker()
    subjects = sorted(m.subject for m in mail.outbox if m.to == ["yes@example.org"])
    assert subjects == ["[Investigating] Dashboards do not load", "[Resolved] Dashboards do not load"]


def test_a_refused_update_enqueues_nothing(
    personas: Personas, components: dict[str, Component], audience: dict[str, Subscriber]
) -> None:
    incident = open_incident(personas, components)
    run_worker()
    with pytest.raises(ActionError):
        actions.do_post_incident_update(
            incident=incident, state="monitoring", body="  ", actor=personas.agent, now=NOW
        )
    with pytest.raises(ActionError):  # customers do not post to the status page
        actions.do_post_incident_update(
            incident=incident, state="monitoring", body="Hello", actor=personas.customer, now=NOW
        )
    assert enqueued("fan_out_update") == []
    assert Incident.objects.get().updates.count() == 1


def test_email_task_commits_with_the_incident_or_not_at_all(
    personas: Personas, components: dict[str, Component], audience: dict[str, Subscriber]
) -> None:
    def request_that_fails_after_the_action() -> None:
        with transaction.atomic():
            open_incident(personas, components)
            raise RuntimeError("the request failed after the action")

    with pytest.raises(RuntimeError):
        request_that_fails_after_the_action()
    assert not Incident.objects.exists()
    assert enqueued("fan_out_update") == []


def test_an_update_email_task_run_twice_records_and_sends_one_email(
    personas: Personas, components: dict[str, Component], audience: dict[str, Subscriber]
) -> None:
    incident = open_incident(personas, components)
    update = incident.updates.get()
    for _run in range(2):  # a task backend that runs a task again (a worker killed after the send)
        tasks.send_update_email.call(update.pk, audience["confirmed"].pk)
    assert [m.to for m in mail.outbox] == [["yes@example.org"]]
    recorded = OutgoingMail.objects.get(kind="status_update")
    assert (
        recorded.status == "sent"
        and recorded.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    )
    assert mail.outbox[0].extra_headers["Auto-Submitted"] == "auto-generated"


def html_part(message: Any) -> str:
    return next(str(body) for body, kind in message.alternatives if kind == "text/html")


def test_update_email_has_an_escaped_html_part_in_the_subscribers_language(
    personas: Personas, components: dict[str, Component], audience: dict[str, Subscriber]
) -> None:
    open_incident(
        personas, components, title="<script>x</script> down", body="Line one\n<b>not bold</b>",
        body_ja="一行目\n<b>太字ではない</b>",
    )  # fmt: skip
    run_worker()
    by_address = {m.to[0]: m for m in mail.outbox}
    english, japanese = by_address["yes@example.org"], by_address["hai@example.jp"]
    html_en = html_part(english)
    html_ja = html_part(japanese)
    assert "&lt;script&gt;x&lt;/script&gt; down" in html_en and "<script" not in html_en
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html_en and "<b>not" not in html_en
    assert "<script>x</script> down" in english.body  # the text part is not HTML
    assert '<html lang="ja">' in html_ja and "調査中" in html_ja and "&lt;b&gt;太字ではない" in html_ja
    unsubscribe = english.extra_headers["List-Unsubscribe"].strip("<>")
    assert f'href="{unsubscribe}"' in html_en
    for remote in ("<img", "<link", "src=", "url("):
        assert remote not in html_en


def test_the_confirmation_link_is_plain_text(db: None) -> None:
    subscriber("new@example.org", confirmed=False)
    run_worker()
    (confirmation,) = mail.outbox
    assert "/status/subscribe/confirm/" in confirmation.body
    assert not getattr(confirmation, "alternatives", [])
