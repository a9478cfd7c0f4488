"""Single-use tokens are single-use in every process (issue 9, finding 9): a widget token and
an emailed sign-in link are recorded as used in the database, whatever the cache holds."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from policydesk.portal import limits, signin
from policydesk.portal.models import UsedToken
from tests.conftest import NOW, Personas, at_once
from tests.portal.processes import run_together, shared_database
from tests.portal.test_widget import open_widget, token_for

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def emailed_link() -> str:
    Client().post("/signin/link/", {"email": "hanna@kumo.example"})
    match = re.search(r"https://support\.example\.com(/signin/link/[^/\s]+/)", mail.outbox[-1].body)
    assert match
    return match.group(1)


def test_a_widget_token_replayed_on_another_process_is_refused(personas: Personas) -> None:
    token = token_for()
    assert open_widget(Client(), token).status_code == 200
    cache.clear()  # another web process: a cache of its own
    replay = Client()
    assert open_widget(replay, token).status_code == 403
    assert "_auth_user_id" not in replay.session


def test_an_emailed_link_checked_by_six_requests_before_any_signs_in_is_used_once(
    personas: Personas,
) -> None:
    token = emailed_link().split("/")[-2]
    # Six requests have all read the token (none has signed in, so last_login, which also
    # ends a link, has not changed): only the first to record its use gets the person.
    assert [signin.person_for_link_token(token) for _ in range(6)] == [personas.customer] * 6
    people = [signin.use_link_token(token, timezone.now()) for _ in range(6)]
    assert people == [personas.customer] + [None] * 5


def test_a_used_link_is_refused_after_the_cache_is_cleared(personas: Personas) -> None:
    path = emailed_link()
    assert Client().post(path).status_code == 302
    cache.clear()
    assert Client().post(path).status_code == 400


def test_opening_a_link_only_shows_the_button_and_uses_nothing(personas: Personas) -> None:
    path = emailed_link()
    for _ in range(3):
        assert Client().get(path).status_code == 200  # mail scanners follow links
    assert UsedToken.objects.count() == 0
    assert Client().post(path).status_code == 302


@pytest.mark.skipif(
    not ON_POSTGRES, reason="threads need PostgreSQL: SQLite's in-memory test database locks whole tables"
)
@pytest.mark.django_db(transaction=True)
def test_one_link_posted_six_times_at_once_signs_in_once(personas: Personas) -> None:
    path = emailed_link()

    def post() -> tuple[int, bool]:
        client = Client()
        response = client.post(path)
        return response.status_code, "_auth_user_id" in client.session

    answers = at_once(6, post)
    assert sorted(answers) == [(302, True)] + [(400, False)] * 5


@pytest.mark.skipif(
    not ON_POSTGRES, reason="threads need PostgreSQL: SQLite's in-memory test database locks whole tables"
)
@pytest.mark.django_db(transaction=True)
def test_one_widget_token_opened_six_times_at_once_is_taken_once(personas: Personas) -> None:
    token = token_for()
    statuses = at_once(6, lambda: open_widget(Client(), token).status_code)
    assert sorted(statuses) == [200] + [403] * 5


@pytest.mark.django_db(transaction=True)
def test_six_processes_using_one_token_at_once_get_one_use(tmp_path: Any) -> None:
    url = shared_database(tmp_path)
    ready = tmp_path / "ready"
    answers = run_together([["use", "the-token", str(ready), "6"]] * 6, url, ready)
    assert sorted(answers) == ["0"] * 5 + ["1"]


def test_a_record_goes_once_its_token_has_expired(db: None) -> None:
    assert limits.use_once("widget-nonce", "a", NOW + timedelta(minutes=10), NOW)
    assert not limits.use_once("widget-nonce", "a", NOW + timedelta(minutes=10), NOW)
    assert limits.use_once("signin-link", "a", NOW + timedelta(minutes=10), NOW)  # kinds apart
    later = NOW + timedelta(minutes=11)
    assert limits.use_once("widget-nonce", "b", later + timedelta(minutes=10), later)
    assert sorted(UsedToken.objects.values_list("kind", flat=True)) == ["widget-nonce"]
