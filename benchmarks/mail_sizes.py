"""Processing time of one email against its size, 1 KB to 25 MB, pathological inputs included.

    .venv/bin/python benchmarks/mail_sizes.py [--sizes 1K,64K,1M,5M,25M] [--cases on-line,...]

Each message goes through the whole `policydesk.mail.ingest.process_message` path (store the
raw bytes, parse, strip the reply text, identity, threading, a ticket with its audit event,
SLA timers and acknowledgement) from a customer, on a throwaway SQLite database in a
temporary folder (the SMTP listener's background processor does the same work). Cases:

- plain: an ordinary reply, lines of 72 characters, with a quoted history;
- on-line: one line `On aaaa…` (a quote-header look-alike: quadratic in the quote library);
- gmail-ja-line: `2026年12月1日(火) 18:00 <x@y>` then spaces to the end of one line;
- from-lines: `差出人: …` lines with no 送信日時 after them (Outlook look-alikes);
- quoted-lines: `> On … wrote:` lines;
- long-word: one word without spaces or line breaks;
- short-lines: lines of one character;
- html: an HTML body of many paragraphs;
- attachment: a short text and one base64 attachment of the size;
- nesting-45 / nesting-1000: multiparts nested 45 / 1,000 deep, below and far above the cap
  of 50 levels (their size is what it is).

Prints a table: case, size, seconds, seconds per MB, outcome. Time should grow linearly
with the size (seconds per MB about constant) and every case should take under 1 s; a
case over 10 s skips its larger sizes.

The peer, measured in the same run on the same bytes: Python's own `email` parser
(`BytesParser(policy=email.policy.default)`, then `get_content()` of every leaf part), the
least any Python desk does with a message (django-helpdesk's mail intake is built on it).
The ratio column is our whole processing over that parse alone.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import email.parser
import email.policy
import os
import platform
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CUSTOMER = "hanna@kumo.example"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
UNITS = {"K": 1024, "M": 1024 * 1024}
GIVE_UP_SECONDS = 10.0


def parse_size(text: str) -> int:
    text = text.strip().upper()
    return int(text[:-1]) * UNITS[text[-1]] if text[-1] in UNITS else int(text)


def headers(number: int, content_type: str, extra: str = "") -> str:
    return (
        f"From: Hanna <{CUSTOMER}>\r\nTo: support@example.com\r\nSubject: Size test {number}\r\n"
        f"Message-ID: <size-{number}@kumo.example>\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: {content_type}\r\n{extra}\r\n"
    )


def text_message(number: int, body: str) -> bytes:
    return (
        headers(number, "text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit\r\n") + body
    ).encode()


def repeat_to(size: int, unit: str) -> str:
    return unit * max(1, size // len(unit.encode()))


def plain(number: int, size: int) -> bytes:
    line = "The export stops at row 1000 and the file is cut short; this happens every time.\r\n"[:72]
    quote = "On Tue, 1 Dec 2026 at 18:00, Example Support <support@example.com> wrote:\r\n"
    body = (
        "Hello,\r\n"
        + repeat_to(size // 2, line + "\r\n")
        + quote
        + repeat_to(size // 2, "> " + line + "\r\n")
    )
    return text_message(number, body)


def on_line(number: int, size: int) -> bytes:
    return text_message(number, "Hello,\r\n\r\nOn " + "a" * size + "\r\n")


def gmail_ja_line(number: int, size: int) -> bytes:
    return text_message(number, "こんにちは\r\n2026年12月1日(火) 18:00 <x@y>" + " " * size + "x\r\n")


def from_lines(number: int, size: int) -> bytes:
    return text_message(number, "こんにちは\r\n" + repeat_to(size, "差出人: Example Support <x@y>\r\n"))


def quoted_lines(number: int, size: int) -> bytes:
    return text_message(number, "Yes.\r\n" + repeat_to(size, "> On Tue, Example <x@y> wrote:\r\n"))


def long_word(number: int, size: int) -> bytes:
    return text_message(number, "w" * size + "\r\n")


def short_lines(number: int, size: int) -> bytes:
    return text_message(number, repeat_to(size, "x\r\n"))


def html(number: int, size: int) -> bytes:
    paragraph = "<p>The export stops at <b>row 1000</b> and the file is cut short.</p>\r\n"
    body = "<html><body>" + repeat_to(size, paragraph) + "</body></html>\r\n"
    return (
        headers(number, "text/html; charset=utf-8", "Content-Transfer-Encoding: 8bit\r\n") + body
    ).encode()


def attachment(number: int, size: int) -> bytes:
    data = base64.encodebytes(os.urandom(size * 3 // 4)).decode().replace("\n", "\r\n")
    return (
        headers(number, 'multipart/mixed; boundary="b"')
        + "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe log is attached.\r\n"
        + "--b\r\nContent-Type: application/octet-stream\r\n"
        + 'Content-Disposition: attachment; filename="log.bin"\r\n'
        + "Content-Transfer-Encoding: base64\r\n\r\n"
        + data
        + "--b--\r\n"
    ).encode()


def nesting(depth: int) -> Callable[[int, int], bytes]:
    def build(number: int, size: int) -> bytes:
        opening = "".join(
            f'--n{level}\r\nContent-Type: multipart/mixed; boundary="n{level + 1}"\r\n\r\n'
            for level in range(depth)
        )
        closing = "".join(f"--n{level}--\r\n" for level in reversed(range(depth)))
        return (
            headers(number, 'multipart/mixed; boundary="n0"')
            + opening
            + f"--n{depth}\r\nContent-Type: text/plain\r\n\r\nDeep.\r\n--n{depth}--\r\n"
            + closing
        ).encode()

    return build


#: name -> (builder, whether the size is the case's own, not the requested one)
CASES: dict[str, tuple[Callable[[int, int], bytes], bool]] = {
    "plain": (plain, False),
    "on-line": (on_line, False),
    "gmail-ja-line": (gmail_ja_line, False),
    "from-lines": (from_lines, False),
    "quoted-lines": (quoted_lines, False),
    "long-word": (long_word, False),
    "short-lines": (short_lines, False),
    "html": (html, False),
    "attachment": (attachment, False),
    "nesting-45": (nesting(45), True),
    "nesting-1000": (nesting(1000), True),
}


def stdlib_parse(raw: bytes) -> float:
    """Seconds for the standard library to parse `raw` and decode every leaf part (the peer)."""
    began = time.perf_counter()
    message = email.parser.BytesParser(policy=email.policy.default).parsebytes(raw)
    for part in message.walk():
        if not part.is_multipart():
            with contextlib.suppress(Exception):  # the peer's own failures are not measured
                part.get_content()  # type: ignore[attr-defined]
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1K,64K,1M,5M,25M")
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--keep", action="store_true", help="keep the throwaway data folder")
    args = parser.parse_args()
    sizes = [parse_size(s) for s in args.sizes.split(",")]

    data_dir = Path(tempfile.mkdtemp(prefix="policydesk-sizes-"))
    os.environ.pop("DATABASE_URL", None)  # always a fresh SQLite file
    os.environ.update(
        {
            "POLICYDESK_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "policydesk.settings",
            "POLICYDESK_LOG_LEVEL": "ERROR",
            # Not DEBUG: Django would keep every query with its 25 MB parameters quoted.
            "POLICYDESK_SECRET_KEY": os.environ.get("POLICYDESK_SECRET_KEY") or secrets.token_urlsafe(50),
            "POLICYDESK_MAIL_DOMAIN": "example.com",
        }
    )
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    from policydesk.mail.ingest import process_message
    from policydesk.tickets import actions

    call_command("migrate", verbosity=0)
    organisation = actions.do_create_organisation(
        name="Kumo", plan="growth", region="emea", actor=None, now=NOW
    )
    actions.do_create_person(
        email=CUSTOMER, password=None, role="customer", actor=None, now=NOW, organisation=organisation
    )

    process_message(plain(0, 1024), mailbox="warm-up", now=NOW)  # imports and caches, not measured
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, SQLite")
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {os.getloadavg()[0]:.2f}")
    print()
    print(
        f"| {'case':<14} | {'size':>10} | {'seconds':>8} | {'s per MB':>8} | {'stdlib s':>8} "
        f"| {'ours/stdlib':>11} | outcome"
    )
    print(f"| {'-' * 14} | {'-' * 10} | {'-' * 8} | {'-' * 8} | {'-' * 8} | {'-' * 11} | -------")
    number = 0
    slowest = 0.0
    for name in args.cases.split(","):
        build, own_size = CASES[name]
        for size in sizes[:1] if own_size else sizes:
            number += 1
            raw = build(number, size)
            began = time.perf_counter()
            result = process_message(raw, mailbox="bench", now=NOW + timedelta(seconds=number))
            seconds = time.perf_counter() - began
            try:
                peer = stdlib_parse(raw)
            except RecursionError:  # the standard library's parser cannot take 1,000 levels
                peer = float("nan")
            slowest = max(slowest, seconds)
            megabytes = len(raw) / UNITS["M"]
            outcome = result.outcome + (f" ({result.reason})" if result.reason else "")
            per_megabyte = seconds / megabytes
            print(
                f"| {name:<14} | {len(raw):>10,} | {seconds:>8.3f} | {per_megabyte:>8.3f} | {peer:>8.3f} "
                f"| {seconds / peer:>10.2f}x | {outcome[:70]}",
                flush=True,
            )
            if seconds > GIVE_UP_SECONDS:
                print(f"| {name:<14} | larger sizes skipped: over {GIVE_UP_SECONDS:.0f} s", flush=True)
                break
    print()
    print(f"slowest: {slowest:.3f} s ({'under' if slowest < 1 else 'NOT under'} 1 s)")
    if args.keep:
        print(f"data folder: {data_dir}")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0 if slowest < 1 else 1


if __name__ == "__main__":
    sys.exit(main())
