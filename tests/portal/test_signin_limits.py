"""Sign-in limits (issue 9, finding 8): atomic, in the database, per account and client, on
every password form (the help center's, the admin's) and the link request form; a stranger
slows attackers down without locking the owner out. And `next` after signing in (finding 10)."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.signals import user_login_failed
from django.core import mail
from django.core.cache import cache
from django.test import Client, RequestFactory

import policydesk
from policydesk.portal import limits, signin
from policydesk.portal.forms import LimitedAdminAuthenticationForm
from policydesk.portal.models import LimitCounter
from tests.conftest import NOW, Personas, at_once
from tests.portal.processes import run_together, shared_database

HANNA = {"email": "hanna@kumo.example", "password": "pw-hanna@kumo.example"}
STRANGER = "203.0.113.5"
OWNER = "198.51.100.7"
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def from_address(address: str, **kwargs: Any) -> Client:
    return Client(REMOTE_ADDR=address, **kwargs)


def guess(client: Client, email: str = HANNA["email"], path: str = "/signin/") -> Any:
    return client.post(path, {"email": email, "password": "guess"})


class PasswordChecks:
    """Counts the passwords actually checked and found wrong (Django's user_login_failed)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, **kwargs: Any) -> None:
        with self._lock:
            self.count += 1


@pytest.fixture
def wrong_passwords_checked() -> Any:
    checks = PasswordChecks()
    user_login_failed.connect(checks, dispatch_uid="test-signin-limits")
    yield checks
    user_login_failed.disconnect(dispatch_uid="test-signin-limits")


def test_forty_wrong_passwords_check_the_limit_and_no_more(
    personas: Personas, wrong_passwords_checked: PasswordChecks
) -> None:
    client = from_address(STRANGER)
    statuses = [guess(client).status_code for _ in range(40)]
    assert statuses == [400] * signin.FAILED_PASSWORDS_PER_HOUR + [429] * 30
    assert wrong_passwords_checked.count == signin.FAILED_PASSWORDS_PER_HOUR


def test_the_count_is_one_conditional_update_so_no_interleaving_passes_the_limit(db: None) -> None:
    rule = limits.Rule("test", 10, timedelta(hours=1), ("account",))
    subjects = {"account": "hanna@kumo.example"}
    outcomes = [limits.take((rule,), subjects, NOW) for _ in range(40)]
    assert sum(isinstance(outcome, limits.Taken) for outcome in outcomes) == 10
    assert LimitCounter.objects.get(key=rule.key(subjects)).count == 10


def test_counters_are_forgotten_a_day_after_their_window(db: None) -> None:
    rule = limits.Rule("test", 10, timedelta(hours=1), ("account",))
    limits.take((rule,), {"account": "old@kumo.example"}, NOW)
    limits.take((rule,), {"account": "recent@kumo.example"}, NOW + timedelta(hours=2))
    limits.take((rule,), {"account": "new@kumo.example"}, NOW + timedelta(days=1, minutes=1))
    kept = LimitCounter.objects.values_list("key", flat=True)
    assert sorted(kept) == sorted(
        rule.key({"account": a}) for a in ("recent@kumo.example", "new@kumo.example")
    )


@pytest.mark.skipif(
    not ON_POSTGRES, reason="threads need PostgreSQL: SQLite's in-memory test database locks whole tables"
)
@pytest.mark.django_db(transaction=True)
def test_forty_parallel_wrong_passwords_check_the_limit_and_no_more(
    personas: Personas, wrong_passwords_checked: PasswordChecks
) -> None:
    statuses = at_once(40, lambda: guess(from_address(STRANGER)).status_code)
    assert sorted(statuses) == [400] * signin.FAILED_PASSWORDS_PER_HOUR + [429] * 30
    assert wrong_passwords_checked.count == signin.FAILED_PASSWORDS_PER_HOUR


def test_the_limit_is_in_the_database_not_the_cache(personas: Personas) -> None:
    stranger = from_address(STRANGER)
    for _ in range(signin.FAILED_PASSWORDS_PER_HOUR):
        guess(stranger)
    cache.clear()  # another web process has a cache of its own
    assert from_address(STRANGER).post("/signin/", HANNA).status_code == 429
    assert LimitCounter.objects.filter(count=signin.FAILED_PASSWORDS_PER_HOUR).exists()


def test_a_stranger_cannot_lock_the_owner_out(personas: Personas) -> None:
    stranger = from_address(STRANGER)
    with time_machine.travel(NOW, tick=False):
        for _ in range(30):
            guess(stranger)
        refused = stranger.post("/signin/", HANNA)
    assert refused.status_code == 429 and "_auth_user_id" not in stranger.session
    assert "try again in 60 minutes" in refused.content.decode() and refused["Retry-After"] == "3600"

    owner = from_address(OWNER)
    assert owner.post("/signin/", HANNA)["Location"] == "/tickets/"
    assert owner.session["_auth_user_id"] == str(personas.customer.pk)


def test_the_limit_opens_again_after_its_window(personas: Personas) -> None:
    with time_machine.travel(NOW, tick=False) as traveller:
        stranger = from_address(STRANGER)
        for _ in range(signin.FAILED_PASSWORDS_PER_HOUR):
            guess(stranger)
        assert stranger.post("/signin/", HANNA).status_code == 429
        traveller.shift(timedelta(hours=1))
        assert stranger.post("/signin/", HANNA).status_code == 302


def test_right_passwords_do_not_use_up_the_limit(personas: Personas) -> None:
    owner = from_address(OWNER)
    for _ in range(signin.FAILED_PASSWORDS_PER_HOUR - 1):
        guess(owner)
    for _ in range(3 * signin.FAILED_PASSWORDS_PER_HOUR):
        assert from_address(OWNER).post("/signin/", HANNA).status_code == 302
    assert guess(owner).status_code == 400  # the tenth wrong one is still checked
    assert guess(owner).status_code == 429


def test_one_address_guessing_many_accounts_is_stopped(personas: Personas) -> None:
    sprayer = from_address(STRANGER)
    statuses = [guess(sprayer, email=f"user{n}@kumo.example").status_code for n in range(55)]
    assert statuses == [400] * 50 + [429] * 5


def test_many_addresses_guessing_one_account_are_slowed_and_the_emailed_link_still_works(
    personas: Personas,
) -> None:
    with time_machine.travel(NOW, tick=False) as traveller:
        for n in range(30):
            assert guess(from_address(f"192.0.2.{n + 1}")).status_code == 400
        slowed = guess(from_address("192.0.2.200"))
        assert slowed.status_code == 429 and slowed["Retry-After"] == "900"

        owner = from_address(OWNER)
        owner.post("/signin/link/", {"email": HANNA["email"]})
        link = mail.outbox[-1].body.split("https://support.example.com", 1)[1].split()[0]
        assert owner.post(link)["Location"] == "/tickets/"

        traveller.shift(timedelta(minutes=15))
        assert from_address(OWNER).post("/signin/", HANNA).status_code == 302


def test_admin_login_is_limited_too(personas: Personas) -> None:
    admin = {"username": "admin@example.com", "password": "pw-admin-1", "next": "/admin/"}
    stranger = from_address(STRANGER)
    for _ in range(30):
        stranger.post("/admin/login/", {**admin, "password": "guess"})
    refused = stranger.post("/admin/login/", admin)
    assert refused.status_code == 200 and "_auth_user_id" not in stranger.session
    assert "Too many attempts" in refused.content.decode()

    owner = from_address(OWNER)
    assert owner.post("/admin/login/", admin)["Location"] == "/admin/"
    assert owner.session["_auth_user_id"] == str(personas.admin.pk)


def test_admin_and_help_center_share_one_count(personas: Personas) -> None:
    stranger = from_address(STRANGER)
    for _ in range(signin.FAILED_PASSWORDS_PER_HOUR):
        stranger.post("/admin/login/", {"username": "hanna@kumo.example", "password": "guess"})
    assert stranger.post("/signin/", HANNA).status_code == 429


def test_link_requests_are_limited_per_address_from_all_clients(personas: Personas) -> None:
    for n in range(3):
        client = from_address(f"192.0.2.{n + 1}")
        for _ in range(signin.LINK_REQUESTS_PER_HOUR):
            assert client.post("/signin/link/", {"email": HANNA["email"]})["Location"] == "/signin/link/sent/"
    assert len(mail.outbox) == 2 * signin.LINK_REQUESTS_PER_HOUR


def test_link_requests_are_limited_per_client_across_addresses(personas: Personas) -> None:
    client = from_address(STRANGER)
    for n in range(25):
        client.post("/signin/link/", {"email": f"user{n}@kumo.example"})
    client.post("/signin/link/", {"email": HANNA["email"]})
    assert mail.outbox == []  # the twenty took the client's share; unknown addresses get no mail
    from_address(OWNER).post("/signin/link/", {"email": HANNA["email"]})
    assert [message.to for message in mail.outbox] == [[HANNA["email"]]]


# -- who the client is ----------------------------------------------------------------


def address_of(proxies: int, remote: str, forwarded: str | None = None) -> str:
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **meta)  # type: ignore[arg-type]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "POLICYDESK_TRUSTED_PROXY_COUNT", proxies)
        return limits.client_address(request)


def test_without_a_proxy_forwarded_for_is_ignored() -> None:
    assert address_of(0, STRANGER, forwarded=OWNER) == STRANGER


def test_behind_proxies_the_client_is_what_the_outermost_proxy_saw() -> None:
    # The client may send any X-Forwarded-For; each proxy appends the address it saw.
    assert address_of(1, "10.0.0.2", forwarded=f"{OWNER}, {STRANGER}") == STRANGER
    assert address_of(2, "10.0.0.2", forwarded=f"{OWNER}, {STRANGER}, 10.0.0.1") == STRANGER
    assert address_of(2, "10.0.0.2", forwarded=STRANGER) == "10.0.0.2"  # not through both


def test_ipv6_clients_count_by_their_network_and_garbage_by_one_name() -> None:
    assert (
        address_of(0, "2001:db8:1:2:aaaa::1") == address_of(0, "2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    )
    assert address_of(0, "::ffff:203.0.113.5") == STRANGER
    assert address_of(1, "10.0.0.2", forwarded="not-an-address") == "unknown"


def test_behind_a_proxy_the_owner_at_another_address_still_signs_in(
    personas: Personas, settings: Any
) -> None:
    settings.POLICYDESK_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    stranger = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=STRANGER)
    for _ in range(signin.FAILED_PASSWORDS_PER_HOUR):
        guess(stranger)
    assert stranger.post("/signin/", HANNA).status_code == 429
    owner = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=f"{STRANGER}, {OWNER}")
    assert owner.post("/signin/", HANNA).status_code == 302


# -- next (finding 10) ------------------------------------------------------------------


@pytest.mark.parametrize(
    "wanted",
    [
        "foo",
        "//evil.example",
        "https://evil.example/",
        "/nonexistent/",
        "javascript:alert(1)",
        "/\\evil.example",
    ],
)
def test_a_next_that_is_not_a_page_here_goes_to_the_default_page(personas: Personas, wanted: str) -> None:
    client = Client()
    response = client.post("/signin/", {**HANNA, "next": wanted})
    assert response.status_code == 302 and response["Location"] == "/tickets/"
    again = client.get("/signin/", {"next": wanted})  # already signed in
    assert again.status_code == 302 and again["Location"] == "/tickets/"


def test_a_next_on_this_site_is_followed_with_its_query(personas: Personas) -> None:
    response = Client().post("/signin/", {**HANNA, "next": "/tickets/?scope=organisation"})
    assert response["Location"] == "/tickets/?scope=organisation"


@pytest.mark.django_db(transaction=True)
def test_four_processes_sharing_the_database_take_the_limit_and_no_more(tmp_path: Any) -> None:
    url = shared_database(tmp_path)
    ready = tmp_path / "ready"
    answers = run_together([["take", "10", "10", str(ready), "4"]] * 4, url, ready)
    assert sum(int(answer) for answer in answers) == 10


# -- every password form (a guard against a new one that forgets the limits) ----------------


def test_passwords_are_checked_only_within_the_limits() -> None:
    source = Path(policydesk.__file__).parent
    checks = re.compile(
        r"(?<!def )\bauthenticate\(|(?<!signin)\.check_password\(|\b(Admin)?AuthenticationForm\b"
    )
    found = {
        str(path.relative_to(source))
        for path in source.rglob("*.py")
        if "migrations" not in path.parts and checks.search(path.read_text(encoding="utf-8"))
    }
    # signin.check_password is the one caller; forms.py subclasses the admin's form to use it.
    assert found == {"portal/signin.py", "portal/forms.py"}
    assert admin.site.login_form is LimitedAdminAuthenticationForm
