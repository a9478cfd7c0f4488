"""Email subscriptions to the status page: double opt-in with a signed link, unsubscribe."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.core import mail
from django.test import Client

from policydesk.status import actions, subscriptions
from policydesk.status.models import Subscriber
from tests.conftest import NOW
from tests.status.conftest import LATER, enqueued, run_worker

ADDRESS = "ops@customer.example"


def subscribe(client: Client, email: str = ADDRESS, **extra: Any) -> str:
    response = client.post("/status/subscribe/", {"email": email}, follow=True, **extra)
    assert response.status_code == 200
    return response.content.decode()


def confirm_link() -> str:
    run_worker()
    (message,) = mail.outbox
    match = re.search(r"https://support\.example\.com(/status/subscribe/confirm/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_subscribing_sends_a_confirmation_link_and_does_not_subscribe_yet(client: Client, db: None) -> None:
    html = subscribe(client)
    assert "Check your inbox" in html
    subscriber = Subscriber.objects.get()
    assert subscriber.email == ADDRESS and subscriber.confirmed_at is None and not subscriber.is_active
    assert len(enqueued("send_confirmation")) == 1
    link = confirm_link()
    assert mail.outbox[0].to == [ADDRESS]
    assert "Confirm" in mail.outbox[0].subject
    # Opening the link (a mail scanner does the same) only shows a button.
    page = client.get(link)
    assert page.status_code == 200 and 'data-testid="confirm-form"' in page.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is None


def test_pressing_confirm_starts_the_subscription(client: Client, db: None) -> None:
    subscribe(client)
    response = client.post(confirm_link())
    assert 'data-testid="subscription-confirmed"' in response.content.decode()
    subscriber = Subscriber.objects.get()
    assert subscriber.confirmed_at == LATER and subscriber.is_active


def test_confirm_needs_a_csrf_token(db: None) -> None:
    client = Client(enforce_csrf_checks=True)
    client.post("/status/subscribe/", {"email": ADDRESS})  # refused too: no token
    assert not Subscriber.objects.exists()
    subscriber = actions.do_subscribe(email=ADDRESS, language="en", now=NOW)
    token = subscriptions.confirm_token(subscriber)
    assert client.post(f"/status/subscribe/confirm/{token}/").status_code == 403
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is None


def test_a_tampered_confirm_link_is_refused(client: Client, db: None) -> None:
    subscriber = actions.do_subscribe(email=ADDRESS, language="en", now=NOW)
    token = subscriptions.confirm_token(subscriber)
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    response = client.post(f"/status/subscribe/confirm/{forged}/")
    assert response.status_code == 404 and 'data-testid="link-invalid"' in response.content.decode()
    # An unsubscribe token does not confirm (another salt).
    assert (
        client.post(f"/status/subscribe/confirm/{subscriptions.unsubscribe_token(subscriber)}/").status_code
        == 404
    )
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is None


def test_a_confirm_link_expires_after_seven_days(client: Client, db: None, time_machine: Any) -> None:
    subscriber = actions.do_subscribe(email=ADDRESS, language="en", now=NOW)
    token = subscriptions.confirm_token(subscriber)
    time_machine.move_to(LATER + timedelta(days=7, minutes=1), tick=False)
    assert client.post(f"/status/subscribe/confirm/{token}/").status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is None


def test_subscribing_again_soon_sends_no_second_email_and_answers_the_same(client: Client, db: None) -> None:
    first = subscribe(client)
    second = subscribe(client, email=ADDRESS.upper())
    assert "Check your inbox" in first and "Check your inbox" in second
    assert Subscriber.objects.count() == 1
    assert len(enqueued("send_confirmation")) == 1


def test_subscribing_an_active_address_changes_nothing(client: Client, db: None) -> None:
    subscribe(client)
    client.post(confirm_link())
    subscribe(client)
    assert Subscriber.objects.get().is_active
    assert enqueued("send_confirmation") == []


def test_an_invalid_address_is_refused(client: Client, db: None) -> None:
    html = subscribe(client, email="not-an-address")
    assert "Enter a valid email address." in html
    assert not Subscriber.objects.exists()


def test_subscribers_language_is_the_pages(client: Client, db: None) -> None:
    client.post("/status/subscribe/?lang=ja", {"email": ADDRESS})
    assert Subscriber.objects.get().language == "ja"


def test_unsubscribe_link_shows_a_button_then_unsubscribes(client: Client, db: None) -> None:
    subscriber = actions.do_subscribe(email=ADDRESS, language="en", now=NOW)
    actions.do_confirm_subscription(subscriber=subscriber, now=NOW)
    path = subscriptions.unsubscribe_url(subscriber).removeprefix("https://support.example.com")
    assert 'data-testid="unsubscribe-form"' in client.get(path).content.decode()
    subscriber.refresh_from_db()
    assert subscriber.is_active
    response = client.post(path)
    assert 'data-testid="unsubscribed"' in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at == LATER and not subscriber.is_active
    # Twice is harmless.
    assert client.post(path).status_code == 200


def test_one_click_unsubscribe_works_without_a_session_or_csrf_token(db: None) -> None:
    subscriber = actions.do_subscribe(email=ADDRESS, language="en", now=NOW)
    actions.do_confirm_subscription(subscriber=subscriber, now=NOW)
    path = subscriptions.unsubscribe_url(subscriber).removeprefix("https://support.example.com")
    response = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert not subscriber.is_active


def test_an_old_confirm_link_does_not_resubscribe_after_unsubscribing(client: Client, db: None) -> None:
    subscriber = actions.do_subscribe(email=ADDRESS, language="en", now=NOW)
    token = subscriptions.confirm_token(subscriber)
    actions.do_confirm_subscription(subscriber=subscriber, now=NOW)
    actions.do_unsubscribe(subscriber=subscriber, now=NOW)
    client.post(f"/status/subscribe/confirm/{token}/")
    subscriber.refresh_from_db()
    assert not subscriber.is_active


def test_subscribing_after_unsubscribing_needs_a_new_confirmation(client: Client, db: None) -> None:
    subscriber = actions.do_subscribe(email=ADDRESS, language="en", now=NOW - timedelta(days=1))
    actions.do_confirm_subscription(subscriber=subscriber, now=NOW - timedelta(days=1))
    actions.do_unsubscribe(subscriber=subscriber, now=NOW - timedelta(hours=2))
    mail.outbox.clear()
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()
    subscribe(client)
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is None and subscriber.unsubscribed_at is None
    client.post(confirm_link())
    subscriber.refresh_from_db()
    assert subscriber.is_active


def test_subscribing_finds_the_address_by_its_index_in_any_case(db: None) -> None:
    """Through the `status_subscriber_email_ci_unique` index (LOWER(email)), not a read of every
    subscriber: `email__iexact` could not use it (issue 17's constant-time look-ups)."""
    from tests.tickets.test_people_lookups_use_indexes import whole_table_reads

    first = actions.do_subscribe(email="Ops@Kumo.example", language="en", now=NOW)
    found: list[Subscriber] = []
    reads = whole_table_reads(
        lambda: found.append(actions.do_subscribe(email="OPS@kumo.EXAMPLE", language="en", now=NOW)),
        watched=("status_subscriber",),
    )
    assert reads == []
    assert found == [first] and Subscriber.objects.count() == 1
    # The check itself sees the read `email__iexact` makes.
    by_iexact = Subscriber.objects.filter(email__iexact="ops@kumo.example")
    assert whole_table_reads(by_iexact.first, watched=("status_subscriber",))
