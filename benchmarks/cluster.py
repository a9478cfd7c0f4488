"""The production shape on loopback, with nodes killed: one PostgreSQL, 2 web servers
(`policydesk serve`), 2 workers (`policydesk worker`), 2 SMTP listeners (`policydesk smtpd`).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/cluster.py \
        [--seconds 90] [--kill-every 3-6]

A bounded load is spread over the nodes: API intake (customers' tokens), portal sign-ins followed
by a reply through the portal's form, API replies, and SMTP mail. Meanwhile a random node is
SIGKILLed (its whole process group, as when a machine dies) and restarted every few seconds.
Outgoing mail goes to an SMTP sink in this process, which records every message it is handed.
Before the load, SLA warning timers are set to fall due inside the run (on tickets the load does
not touch), and sign-in links are minted to be used on both web nodes at once.

At the end, with every node back and the queues drained, it checks and prints:
- every 201 (API ticket or reply) and every 302 (portal reply) is exactly one stored ticket or
  message; every 250 is exactly one ticket; an answer lost to a kill is at most one;
- every acknowledgement (one per ticket opened) was recorded once and handed to the mail server
  once (by Message-ID; a copy would be the at-least-once window of docs/email.md, reported);
- every SLA timer due in the window fired once, each notification was recorded once, and no
  notification email went out twice;
- the wrong-password limit (10 per account and client an hour) held across the two web nodes;
- each sign-in link signed in at most once, posted to both web nodes at the same moment.
Exits 1 if any check fails. PostgreSQL only: the shape it proves is the several-machine one.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import json
import os
import random
import re
import secrets
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ROOT, throwaway_database

POLICYDESK = ROOT / ".venv" / "bin" / "policydesk"
PASSWORD = "cluster-password-1"  # noqa: S105 - a throwaway database's demo password
WRONG_PASSWORD_LIMIT = 10  # portal/signin.py FAILED_PASSWORDS_PER_HOUR (account and client)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- the mail sink -------------------------------------------------------------------------


class Sink:
    """An SMTP server that records each message handed to it: (Message-ID, kind header)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes

        message = message_from_bytes(envelope.content)
        with self.lock:
            self.received.append(
                (
                    str(message.get("Message-ID", "")).strip("<>"),
                    str(message.get("X-PolicyDesk-Notification", "")),
                )
            )
        return "250 OK"

    def start(self) -> Any:
        from aiosmtpd.controller import Controller

        controller = Controller(self, hostname="127.0.0.1", port=self.port)
        controller.start()
        return controller


# -- the nodes -----------------------------------------------------------------------------


@dataclass
class Node:
    name: str
    command: list[str]
    env: dict[str, str]
    port: int | None = None  # listening nodes: wait until it answers
    process: subprocess.Popen[bytes] | None = None
    kills: int = 0

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own command
            self.command,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: a kill takes gunicorn's workers too
        )

    def wait_ready(self, seconds: float = 60) -> None:
        if self.port is None:
            return
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not start")

    def kill(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


# -- what the load saw ---------------------------------------------------------------------


@dataclass
class Seen:
    lock: threading.Lock = field(default_factory=threading.Lock)
    api_tickets: dict[str, int] = field(default_factory=dict)  # subject -> number of the 201
    api_tickets_unanswered: set[str] = field(default_factory=set)
    api_replies: set[str] = field(default_factory=set)  # marker of each 201
    api_replies_unanswered: set[str] = field(default_factory=set)
    portal_signins: int = 0
    portal_replies: set[str] = field(default_factory=set)  # marker of each 302
    portal_replies_unanswered: set[str] = field(default_factory=set)
    smtp_accepted: set[str] = field(default_factory=set)  # Message-ID of each 250
    smtp_unanswered: set[str] = field(default_factory=set)
    wrong_password_answers: Counter[int] = field(default_factory=Counter)
    link_uses: list[tuple[int, int]] = field(default_factory=list)  # (signed in, refused) per link
    errors: Counter[str] = field(default_factory=Counter)

    def note(self, what: str) -> None:
        with self.lock:
            self.errors[what] += 1


PACE = [0.5]  # seconds between one load thread's requests (--rate); a bounded load, not a flood


def paced(stop: threading.Event, since: float) -> None:
    """Wait out the rest of this thread's interval since `since` (or until the run stops)."""
    stop.wait(max(0.0, PACE[0] - (time.monotonic() - since)))


def rounds(stop: threading.Event) -> Iterator[int]:
    """1, 2, 3, ...: one a paced interval, until the run stops."""
    n, began = 0, 0.0
    while not stop.is_set():
        paced(stop, began)
        began = time.monotonic()
        n += 1
        yield n


class Browser:
    """One visitor's cookies, posting forms with their CSRF token."""

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def get(self, url: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(url))  # noqa: S310 - http://127.0.0.1 of ours

    def post(self, url: str, fields: dict[str, str], page: str) -> tuple[int, str]:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        data = {**fields, "csrfmiddlewaretoken": token.group(1) if token else ""}
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(url, data=body, headers={"Referer": url})  # noqa: S310 - loopback
        return self._open(request)

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def api(url: str, token: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {}


# -- the load ------------------------------------------------------------------------------


def api_posts(
    stop: threading.Event,
    seen: Seen,
    label: str,
    token: str,
    request: Callable[[int], tuple[str, str, dict[str, str]]],
    answered: Callable[[str, dict[str, Any]], None],
    unanswered: set[str],
) -> None:
    """Each round, POST what `request(round)` gives (its key, URL and payload): a 201 is
    `answered` (under the lock), no answer at all is `unanswered`, another status is noted."""
    for n in rounds(stop):
        key, url, payload = request(n)
        try:
            status, body = api(url, token, payload)
        except OSError:
            with seen.lock:
                unanswered.add(key)
            time.sleep(0.1)
            continue
        if status == 201:
            with seen.lock:
                answered(key, body)
        else:
            seen.note(f"{label} {status}")
            time.sleep(0.1)


def api_intake(webs: list[str], token: str, run: str, seen: Seen, stop: threading.Event, worker: int) -> None:
    def request(n: int) -> tuple[str, str, dict[str, str]]:
        subject = f"cluster {run} api {worker}-{n}"
        payload = {"topic": "troubleshooting", "subject": subject, "text": "The export stops at 1,000 rows."}
        return subject, f"{random.choice(webs)}/api/v1/tickets", payload

    def answered(subject: str, body: dict[str, Any]) -> None:
        seen.api_tickets[subject] = int(body["number"])

    api_posts(stop, seen, "api intake", token, request, answered, seen.api_tickets_unanswered)


def api_replies(
    webs: list[str], token: str, numbers: list[int], run: str, seen: Seen, stop: threading.Event
) -> None:
    def request(n: int) -> tuple[str, str, dict[str, str]]:
        marker = f"cluster-{run}-api-reply-{n}"
        url = f"{random.choice(webs)}/api/v1/tickets/{random.choice(numbers)}/messages"
        return marker, url, {"text": f"More detail: {marker}"}

    api_posts(stop, seen, "api reply", token, request, lambda marker, _: seen.api_replies.add(marker),
              seen.api_replies_unanswered)  # fmt: skip


def portal_visits(
    webs: list[str], email: str, numbers: list[int], run: str, seen: Seen, stop: threading.Event
) -> None:
    """Sign in with the password on one node, reply through the form on (maybe) the other."""
    for n in rounds(stop):
        marker = f"cluster-{run}-portal-reply-{n}"
        browser = Browser()
        try:
            _, page = browser.get(f"{random.choice(webs)}/signin/")
            status, _ = browser.post(
                f"{random.choice(webs)}/signin/", {"email": email, "password": PASSWORD}, page
            )
            if status != 302:
                seen.note(f"portal sign-in {status}")
                time.sleep(0.2)
                continue
            with seen.lock:
                seen.portal_signins += 1
            number = random.choice(numbers)
            _, page = browser.get(f"{random.choice(webs)}/tickets/{number}/")
        except OSError:
            time.sleep(0.1)
            continue
        try:
            status, _ = browser.post(
                f"{random.choice(webs)}/tickets/{number}/reply/",
                {"text": f"Still failing: {marker}", "once_key": uuid.uuid4().hex},
                page,
            )
        except OSError:
            with seen.lock:
                seen.portal_replies_unanswered.add(marker)
            continue
        if status == 302:
            with seen.lock:
                seen.portal_replies.add(marker)
        else:
            seen.note(f"portal reply {status}")


def smtp_mail(
    ports: list[int], sender: str, run: str, seen: Seen, stop: threading.Event, worker: int
) -> None:
    for n in rounds(stop):
        message_id = f"cluster-{run}-smtp-{worker}-{n}@kumo.example"
        raw = (
            f"From: Kumo <{sender}>\r\nTo: support@example.com\r\n"
            f"Subject: cluster {run} mail {worker}-{n}\r\n"
            f"Message-ID: <{message_id}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "エクスポートが止まります。\r\n"
        ).encode()
        try:
            with smtplib.SMTP("127.0.0.1", random.choice(ports), timeout=30) as connection:
                connection.ehlo("cluster.kumo.example")
                code, _ = connection.mail(sender)
                if code == 250:
                    code, _ = connection.rcpt("support@example.com")
                if code == 250:
                    code, _ = connection.data(raw)
        except (OSError, smtplib.SMTPException):
            with seen.lock:
                seen.smtp_unanswered.add(message_id)
            time.sleep(0.1)
            continue
        if code == 250:
            with seen.lock:
                seen.smtp_accepted.add(message_id)
        else:
            seen.note(f"smtp {code}")
            time.sleep(0.1)


def wrong_passwords(webs: list[str], email: str, attempts: int, seen: Seen) -> None:
    """Guess one account's password from one client, alternating the web nodes."""
    for n in range(attempts):
        browser = Browser()
        try:
            _, page = browser.get(f"{webs[n % 2]}/signin/")
            status, _ = browser.post(f"{webs[n % 2]}/signin/", {"email": email, "password": "wrong"}, page)
        except OSError:
            status = 0  # killed: the attempt may or may not have been counted
        with seen.lock:
            seen.wrong_password_answers[status] += 1
        time.sleep(0.05)


def link_races(webs: list[str], tokens: list[str], seen: Seen) -> None:
    """Each sign-in link posted to both web nodes at the same moment: at most one signs in."""
    for token in tokens:
        pages: list[tuple[Browser, str, str]] = []
        for web in webs:
            browser = Browser()
            url = f"{web}/signin/link/{token}/"
            try:
                _, page = browser.get(url)
            except OSError:
                continue
            pages.append((browser, url, page))
        answers: list[int] = []
        barrier = threading.Barrier(max(len(pages), 1))
        threads = [threading.Thread(target=_race, args=(*entry, barrier, answers)) for entry in pages]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with seen.lock:
            seen.link_uses.append((answers.count(302), answers.count(400)))
        time.sleep(0.3)


def _race(browser: Browser, url: str, page: str, barrier: threading.Barrier, answers: list[int]) -> None:
    barrier.wait()
    try:
        answers.append(browser.post(url, {}, page)[0])
    except OSError:
        answers.append(0)


def killer(nodes: list[Node], low: float, high: float, stop: threading.Event) -> None:
    while not stop.wait(random.uniform(low, high)):
        node = random.choice(nodes)
        node.kill()
        time.sleep(0.3)
        node.start()


# -- set-up, run, checks -------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=90, help="how long the load runs")
    parser.add_argument("--kill-every", default="3-6", help="seconds between SIGKILLs, LOW-HIGH")
    parser.add_argument("--timers", type=int, default=40, help="tickets whose SLA timers fall due in the run")
    parser.add_argument("--links", type=int, default=15, help="sign-in links raced on both web nodes")
    parser.add_argument("--rate", type=float, default=4, help="requests a second per load thread (7 threads)")
    parser.add_argument(
        "--drain", type=float, default=600, help="seconds to wait for the queues after the load"
    )
    args = parser.parse_args()
    PACE[0] = 1 / args.rate
    postgres_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    if not postgres_url.startswith("postgres"):
        raise SystemExit("the cluster runs on PostgreSQL: set DATABASE_URL=postgres://...")
    with throwaway_database(
        "postgres", postgres_url=postgres_url, name="policydesk_cluster", prefix="cluster-"
    ):
        return run(args)


def run(args: argparse.Namespace) -> int:
    sink = Sink()
    controller = sink.start()
    os.environ.update(
        {
            "POLICYDESK_SECRET_KEY": os.environ.get("POLICYDESK_SECRET_KEY") or secrets.token_urlsafe(50),
            "POLICYDESK_LOG_LEVEL": "ERROR",
            "POLICYDESK_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "POLICYDESK_EMAIL_HOST": "127.0.0.1",
            "POLICYDESK_EMAIL_PORT": str(sink.port),
            "POLICYDESK_EMAIL_TIMEOUT": "4",
            # Leases short enough to see a killed worker's mail and deliveries taken over in the run.
            "POLICYDESK_MAIL_SEND_LEASE_SECONDS": "8",
            "POLICYDESK_DELIVERY_LEASE_SECONDS": "8",
            "POLICYDESK_WATCH_INTERVAL": "1",
            # Every ticket's acknowledgement is mailed (the per-recipient limit would drop most).
            "POLICYDESK_MAIL_RATE_LIMIT_COUNT": "1000000",
            "POLICYDESK_WEB_TIMEOUT": "30",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from policydesk.api.tokens import do_create_api_token
    from policydesk.inbox.models import Notification
    from policydesk.mail.models import InboundMessage, MessageLink, OutgoingMail
    from policydesk.portal.signin import make_link_token
    from policydesk.tickets import actions
    from policydesk.tickets.models import Message, Ticket
    from policydesk.watch.models import Delivery, DeliveryItem, Timer

    call_command("migrate", verbosity=0)
    now = timezone.now()
    organisation = actions.do_create_organisation(
        name="Kumo", plan="growth", region="apac", actor=None, now=now
    )
    team = actions.do_create_team(name="Singapore", kind="office", office="singapore", actor=None, now=now)
    actions.do_create_person(
        email="agent@example.com", password=PASSWORD, role="agent", actor=None, now=now, teams=(team,)
    )
    customer = actions.do_create_person(
        email="hanna@kumo.example", password=PASSWORD, role="customer", actor=None, now=now,
        organisation=organisation,
    )  # fmt: skip
    guessed = actions.do_create_person(
        email="guessed@kumo.example", password=PASSWORD, role="customer", actor=None, now=now,
        organisation=organisation,
    )  # fmt: skip
    token = do_create_api_token(person=customer, name="cluster", actor=None, now=now).secret
    replied = [
        actions.do_open_ticket(
            requester=customer,
            topic="troubleshooting",
            subject=f"Replied to {n}",
            text="-",
            channel="web",
            now=now,
        ).ticket
        for n in range(5)
    ]
    watched = [
        actions.do_open_ticket(
            requester=customer,
            topic="troubleshooting",
            subject=f"Watched {n}",
            text="-",
            channel="web",
            now=now,
        ).ticket
        for n in range(args.timers)
    ]
    numbers = [ticket.number for ticket in replied if ticket is not None]
    # A token names its person and the second it was made: one person per link keeps them apart.
    link_tokens = [
        make_link_token(
            actions.do_create_person(
                email=f"link{n}@kumo.example", password=None, role="customer", actor=None, now=now,
                organisation=organisation,
            )
        )
        for n in range(args.links)
    ]  # fmt: skip
    # SLA timers falling due during the run, on tickets the load leaves alone: opened ten minutes
    # ago, due within the run (the workers plan their warnings and breaches when they start).
    start = timezone.now()
    for n, ticket in enumerate(watched):
        assert ticket is not None
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=start - timedelta(minutes=10),
            first_response_due=start + timedelta(seconds=15 + 0.8 * args.seconds * n / max(args.timers, 1)),
        )
    run_id = uuid.uuid4().hex[:8]
    connection.close()

    env = dict(os.environ)
    webs = [free_port(), free_port()]
    smtps = [free_port(), free_port()]
    nodes = [
        *(
            Node(
                f"web{i + 1}",
                [str(POLICYDESK), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"],
                env,
                port,
            )
            for i, port in enumerate(webs)
        ),
        *(Node(f"worker{i + 1}", [str(POLICYDESK), "worker"], env) for i in range(2)),
        *(
            Node(f"smtpd{i + 1}", [str(POLICYDESK), "smtpd", "--port", str(port)], env, port)
            for i, port in enumerate(smtps)
        ),
    ]
    for node in nodes:
        node.start()
    for node in nodes:
        node.wait_ready()
    web_urls = [f"http://127.0.0.1:{port}" for port in webs]

    started_at = timezone.now()

    seen = Seen()
    stop = threading.Event()
    load = [
        *(
            threading.Thread(target=api_intake, args=(web_urls, token, run_id, seen, stop, i))
            for i in range(3)
        ),
        threading.Thread(target=api_replies, args=(web_urls, token, numbers, run_id, seen, stop)),
        threading.Thread(target=portal_visits, args=(web_urls, customer.email, numbers, run_id, seen, stop)),
        *(
            threading.Thread(target=smtp_mail, args=(smtps, customer.email, run_id, seen, stop, i))
            for i in range(2)
        ),
        threading.Thread(
            target=wrong_passwords, args=(web_urls, guessed.email, 3 * WRONG_PASSWORD_LIMIT, seen)
        ),
        threading.Thread(target=link_races, args=(web_urls, link_tokens, seen)),
    ]
    low, high = (float(x) for x in args.kill_every.split("-"))
    kills = threading.Thread(target=killer, args=(nodes, low, high, stop))
    load_before = os.getloadavg()
    clock = time.monotonic()
    for thread in [*load, kills]:
        thread.start()
    stop.wait(args.seconds)
    stop.set()
    for thread in [*load, kills]:
        thread.join()
    sending = time.monotonic() - clock
    for node in nodes:  # the killer restarts what it kills; make sure every node is up
        if node.process is None or node.process.poll() is not None:
            node.start()
        node.wait_ready()

    # Drain: mail processed, acknowledgements and notifications sent, timers fired.
    drained = False
    deadline = time.monotonic() + args.drain
    while time.monotonic() < deadline:
        busy = (
            InboundMessage.objects.filter(outcome="pending").exists()
            or OutgoingMail.objects.filter(status__in=("queued", "sending")).exists()
            or Timer.objects.filter(ticket__in=watched, state="pending", fire_at__lte=timezone.now()).exists()
            or Delivery.objects.filter(
                state__in=("pending", "sending"), deliver_after__lte=timezone.now()
            ).exists()
        )
        connection.close()
        if not busy:
            drained = True
            break
        time.sleep(1)
    time.sleep(2)  # the sink's last messages
    drain = time.monotonic() - clock - sending
    for node in nodes:
        node.stop()
    controller.stop()
    load_after = os.getloadavg()

    # -- the checks --
    failures: list[str] = []

    def check(ok: bool, what: str) -> None:
        if not ok:
            failures.append(what)

    subjects = Counter(
        Ticket.objects.filter(subject__startswith=f"cluster {run_id} api ").values_list("subject", flat=True)
    )
    check(all(subjects[s] == 1 for s in seen.api_tickets), "a 201 is not exactly one ticket")
    check(all(subjects[s] <= 1 for s in subjects), "an API ticket stored twice")
    numbers_ok = dict(
        Ticket.objects.filter(subject__in=list(seen.api_tickets)).values_list("subject", "number")
    )
    check(numbers_ok == seen.api_tickets, "a 201's number is not its ticket's")
    api_lost_stored = sum(subjects[s] for s in seen.api_tickets_unanswered)

    def messages_with(prefix: str) -> Counter[str]:
        texts = Message.objects.filter(text__contains=prefix).values_list("text", flat=True)
        return Counter(match.group(0) for text in texts if (match := re.search(prefix + r"\d+", text)))

    api_replies_stored = messages_with(f"cluster-{run_id}-api-reply-")
    check(
        all(api_replies_stored[m] == 1 for m in seen.api_replies),
        "an API reply's 201 is not exactly one message",
    )
    check(all(c <= 1 for c in api_replies_stored.values()), "an API reply stored twice")
    portal_stored = messages_with(f"cluster-{run_id}-portal-reply-")
    check(
        all(portal_stored[m] == 1 for m in seen.portal_replies),
        "a portal reply's 302 is not exactly one message",
    )
    check(all(c <= 1 for c in portal_stored.values()), "a portal reply stored twice")

    links = Counter(
        MessageLink.objects.filter(
            message_id__startswith=f"cluster-{run_id}-smtp-", direction="in"
        ).values_list("message_id", flat=True)
    )
    check(all(links[m] == 1 for m in seen.smtp_accepted), "a 250 is not exactly one ticket")
    check(all(c <= 1 for c in links.values()), "a mail became two tickets")
    smtp_lost_stored = sum(links[m] for m in seen.smtp_unanswered)

    acks = OutgoingMail.objects.filter(kind="ack", ticket__subject__startswith=f"cluster {run_id} ")
    ack_rows = Counter(acks.values_list("ticket_id", flat=True))
    opened = len(subjects) + len(links)
    check(
        len(ack_rows) == opened and all(c == 1 for c in ack_rows.values()),
        "not one acknowledgement per ticket",
    )
    handed = Counter(message_id for message_id, _kind in sink.received)
    ack_ids = list(acks.values_list("message_id", flat=True))
    acks_unsent = sum(1 for m in ack_ids if handed[m] == 0)
    acks_twice = sum(1 for m in ack_ids if handed[m] > 1)
    check(acks_unsent == 0, "an acknowledgement was never sent")

    window_end = timezone.now()
    due_timers = Timer.objects.filter(ticket__in=watched, fire_at__lte=window_end).exclude(state="cancelled")
    fired = due_timers.filter(state="fired")
    timers_due, timers_fired = due_timers.count(), fired.count()
    check(
        timers_due >= args.timers and timers_fired == timers_due,
        "an SLA timer due in the window did not fire",
    )
    once = Counter(fired.values_list("ticket_id", "kind", "fire_at"))
    check(all(c == 1 for c in once.values()), "an SLA timer fired twice")
    items = Counter(DeliveryItem.objects.filter(timer__in=fired).values_list("timer_id", "recipient_id"))
    check(all(c == 1 for c in items.values()), "a notification recorded twice")
    notice_ids = list(
        OutgoingMail.objects.filter(
            kind__in=("notice", "notice_digest"), created_at__gte=started_at
        ).values_list("message_id", flat=True)
    )
    sla_mail = [
        m
        for m, kind in sink.received
        if kind not in ("ack", "agent_reply", "signin", "notice", "notice_digest") and kind
    ]
    sla_twice = sum(1 for m, c in Counter(sla_mail).items() if c > 1)
    notices_twice = sum(1 for m in notice_ids if handed[m] > 1)
    check(sla_twice == 0 and notices_twice == 0, "a notification email went out twice")
    deliveries_held = Delivery.objects.filter(state="pending").count()
    inbox = Counter(
        Notification.objects.filter(created_at__gte=started_at).values_list(
            "recipient_id", "kind", "ticket_id", "message_id"
        )
    )

    check(all(c == 1 for c in inbox.values()), "an inbox notification recorded twice")
    counted = seen.wrong_password_answers[400]
    check(counted <= WRONG_PASSWORD_LIMIT, "the wrong-password limit was passed across the two web nodes")
    check(all(signed <= 1 for signed, _ in seen.link_uses), "a sign-in link signed in twice")

    kinds = ", ".join(
        f"{kind or '(none)'} {count}" for kind, count in sorted(Counter(k for _, k in sink.received).items())
    )
    print(
        "cluster: 2 web (gunicorn, 1 worker x 4 threads), 2 workers, 2 SMTP listeners, "
        f"PostgreSQL {connection.pg_version}"
    )
    print(
        f"load: {sending:.0f} s, then {drain:.0f} s to drain ({'drained' if drained else 'NOT drained'}); "
        f"load average {', '.join(f'{x:.2f}' for x in load_before)} before, "
        f"{', '.join(f'{x:.2f}' for x in load_after)} after ({os.cpu_count()} CPUs)"
    )
    print(
        "SIGKILLs: "
        + ", ".join(f"{node.name} {node.kills}" for node in nodes)
        + f" (in all {sum(n.kills for n in nodes)})"
    )
    print(
        f"API tickets: {len(seen.api_tickets)} answered 201, each exactly one ticket; "
        f"{len(seen.api_tickets_unanswered)} unanswered (killed), of which {api_lost_stored} stored"
    )
    print(
        f"API replies: {len(seen.api_replies)} answered 201; {len(seen.api_replies_unanswered)} unanswered, "
        f"of which {sum(api_replies_stored[m] for m in seen.api_replies_unanswered)} stored"
    )
    print(
        f"portal: {seen.portal_signins} password sign-ins, {len(seen.portal_replies)} replies answered 302; "
        f"{len(seen.portal_replies_unanswered)} unanswered, of which "
        f"{sum(portal_stored[m] for m in seen.portal_replies_unanswered)} stored"
    )
    print(
        f"SMTP: {len(seen.smtp_accepted)} accepted (250), each exactly one ticket; "
        f"{len(seen.smtp_unanswered)} unanswered, of which {smtp_lost_stored} stored"
    )
    print(
        f"acknowledgements: {len(ack_rows)} recorded for {opened} tickets; handed to the mail server: "
        f"{len(ack_ids) - acks_unsent} once or more, {acks_twice} more than once "
        "(the window of docs/email.md), "
        f"{acks_unsent} never"
    )
    print(f"mail handed to the sink by kind: {kinds}")
    print(
        f"SLA timers (warnings and breaches): {timers_fired} of {timers_due} due in the window fired, "
        "each once; notifications recorded: "
        f"{len(items)} (each once); deliveries held for office hours: {deliveries_held}; "
        f"notification emails sent twice: {sla_twice + notices_twice}; "
        f"inbox notifications: {len(inbox)} (each once)"
    )
    answers = ", ".join(
        f"{code or 'killed'}: {count}" for code, count in sorted(seen.wrong_password_answers.items())
    )
    print(
        f"wrong passwords ({3 * WRONG_PASSWORD_LIMIT} from one client, alternating web nodes, limit "
        f"{WRONG_PASSWORD_LIMIT}): {answers}"
    )
    print(
        f"sign-in links raced on both web nodes: {len(seen.link_uses)}, signed in once: "
        f"{sum(1 for s, _ in seen.link_uses if s == 1)}, "
        f"twice: {sum(1 for s, _ in seen.link_uses if s > 1)}, "
        f"never (a node down): {sum(1 for s, _ in seen.link_uses if s == 0)}"
    )
    if seen.errors:
        print("other answers: " + ", ".join(f"{what} x{count}" for what, count in seen.errors.most_common()))
    if not drained:
        pending = InboundMessage.objects.filter(outcome="pending").count()
        queued = OutgoingMail.objects.filter(status__in=("queued", "sending")).count()
        print(
            f"left when the drain gave up: {pending} received messages pending, "
            f"{queued} outgoing queued or sending"
        )
    stored_mail = set(
        InboundMessage.objects.filter(key__startswith=f"mid:cluster-{run_id}-smtp-").values_list(
            "key", flat=True
        )
    )
    lost_mail = sum(1 for m in seen.smtp_accepted if f"mid:{m}" not in stored_mail)
    print(f"accepted messages not stored at all (lost): {lost_mail}")
    check(lost_mail == 0, "an accepted message was lost")
    check(drained, "the queues did not drain")
    print("result: " + ("every check passed" if not failures else "FAILED: " + "; ".join(failures)))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
