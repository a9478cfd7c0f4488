"""`policydesk search`: the JSON-lines contract, --as, and reindex/check (the command in-process,
as the database is the test's)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from policydesk.search.models import Entry
from policydesk.tickets import actions
from policydesk.tickets.models import Ticket
from tests.conftest import NOW, Personas, open_ticket

ROOT = Path(__file__).resolve().parents[2]


def search(*args: str) -> list[dict[str, object]]:
    out = StringIO()
    call_command("search", *args, stdout=out, stderr=StringIO())
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture
def two(personas: Personas) -> tuple[Ticket, Ticket]:
    first = open_ticket(personas.customer, subject="キャッシュが残る", text="cache survives reload")
    second = open_ticket(personas.other_org_customer, subject="Cache report", text="nothing else")
    return first, second


def test_one_json_line_per_ticket_best_first(two: tuple[Ticket, Ticket]) -> None:
    first, second = two
    lines = search("cache")
    assert [line["ticket"] for line in lines] == [second.number, first.number]  # subject beats body
    assert set(lines[0]) == {"ticket", "subject", "score", "snippet"}
    assert lines[0]["subject"] == "Cache report"
    assert lines[0]["snippet"] == "<mark>Cache</mark> report"
    assert isinstance(lines[0]["score"], float) and lines[0]["score"] > lines[1]["score"]  # type: ignore[operator]


def test_as_a_customer_only_their_tickets_and_without_as_everything(
    personas: Personas, two: tuple[Ticket, Ticket]
) -> None:
    first, _ = two
    actions.do_add_note(ticket=first, agent=personas.agent, text="internes Wort", now=NOW)
    assert [line["ticket"] for line in search("cache", "--as", "HANNA@kumo.example")] == [first.number]
    assert search("internes", "--as", "hanna@kumo.example") == []
    assert [line["ticket"] for line in search("internes")] == [first.number]
    assert [line["ticket"] for line in search("キャッシュ", "--limit", "1")] == [first.number]


def test_an_unknown_as_exits_2_with_a_clear_message(two: tuple[Ticket, Ticket]) -> None:
    with pytest.raises(CommandError, match=r"no one has the login email 'nobody@example\.com'") as raised:
        search("cache", "--as", "nobody@example.com")
    assert raised.value.returncode == 2


@pytest.mark.parametrize("args", [("status:lost",), ("cache", "--limit", "0"), ("reindex", "--batch", "0")])
def test_a_bad_query_or_option_exits_2(personas: Personas, args: tuple[str, ...]) -> None:
    with pytest.raises(CommandError) as raised:
        search(*args)
    assert raised.value.returncode == 2


def test_check_finds_drift_and_reindex_repairs_it(two: tuple[Ticket, Ticket]) -> None:
    first, _ = two
    out = StringIO()
    call_command("search", "check", stdout=out, stderr=StringIO())
    assert "index agrees with the tables: 2 tickets" in out.getvalue()
    Entry.objects.filter(ticket=first, kind=Entry.Kind.MESSAGE).delete()
    Entry.objects.filter(ticket=first, kind=Entry.Kind.SUBJECT).update(original="stale", body="stale")
    out = StringIO()
    with pytest.raises(SystemExit) as failed:
        call_command("search", "check", stdout=out, stderr=StringIO())
    assert failed.value.code == 1
    assert f"ticket #{first.number}: its index differs" in out.getvalue()
    assert search("survives") == []
    progress = StringIO()
    call_command("search", "reindex", "--batch", "1", stdout=StringIO(), stderr=progress)
    assert "2/2" in progress.getvalue()
    assert [line["ticket"] for line in search("survives")] == [first.number]
    call_command("search", "check", stdout=StringIO(), stderr=StringIO())


def test_reindex_resumes_after_a_ticket_id(two: tuple[Ticket, Ticket]) -> None:
    first, second = two
    Entry.objects.all().delete()
    out = StringIO()
    call_command("search", "reindex", "--after", str(first.pk), stdout=out, stderr=StringIO())
    assert "reindexed 1 tickets" in out.getvalue()
    assert [line["ticket"] for line in search("cache")] == [second.number]


def test_the_real_command_exits_2_on_stderr_for_an_unknown_as(tmp_path: Path) -> None:
    """The contract as a process sees it: exit status 2, the reason on stderr, nothing on stdout."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'desk.sqlite3'}",
        "POLICYDESK_DATA_DIR": str(tmp_path),
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own CLI
            [sys.executable, "-m", "policydesk.cli", *args],
            capture_output=True, text=True, timeout=300, env=env, check=False,
        )  # fmt: skip

    assert run("migrate", "--verbosity", "0").returncode == 0
    unknown = run("search", "キャッシュ", "--as", "nobody@example.com")
    assert unknown.returncode == 2
    assert unknown.stdout == ""
    assert "no one has the login email 'nobody@example.com'" in unknown.stderr
    empty = run("search", "キャッシュ")
    assert (empty.returncode, empty.stdout) == (0, "")
