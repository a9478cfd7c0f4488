"""The `policydesk` command's stable contracts, run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from policydesk.policy.loading import default_policy_path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "policydesk.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})},
        check=False,
    )


def test_policy_check_valid_prints_one_summary_line() -> None:
    result = run("policy", "check")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and "valid" in lines[0] and "6 plans" in lines[0]


def test_policy_check_invalid_prints_one_line_per_error(tmp_path: Path) -> None:
    text = default_policy_path().read_text(encoding="utf-8")
    text = text.replace('zone = "UTC-08:00"', 'zone = "America/Nowhere"').replace(
        'office = "singapore"', 'office = "tokyo"'
    )
    broken = tmp_path / "broken.toml"
    broken.write_text(text, encoding="utf-8")
    result = run("policy", "check", str(broken))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{broken}: offices.us-west.zone: ")
    assert lines[1].startswith(f"{broken}: regions.apac.office: unknown office 'tokyo'")


def test_policy_show_json_is_the_resolved_policy() -> None:
    result = run("policy", "show", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["calendars"]["premium-24x5"]["regular_business_day_seconds"] == 86400
    assert data["plans"]["growth"]["first_response"]["target"] == {"kind": "business_days", "amount": 2}
    assert data["regions"]["emea"]["office"] == "central-europe"


def test_policy_render_both_languages_and_formats() -> None:
    ja = run("policy", "render", "--lang", "ja")
    assert ja.returncode == 0 and "プレミアムサクセス" in ja.stdout and ja.stdout.startswith("# ")
    html = run("policy", "render", "--lang", "en", "--format", "html")
    assert html.returncode == 0 and "<table" in html.stdout and "Premium Success" in html.stdout


def test_policy_explain_names_the_clauses() -> None:
    request = {"plan": "growth", "region": "americas", "topic": "troubleshooting",
               "created_at": "2026-12-05T10:00:00-08:00", "channel": "web"}  # fmt: skip
    result = run("policy", "explain", json.dumps(request))
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "(C9)" in text and "(C3)" in text and "16 business hours" in text
    assert "the clock starts Mon 2026-12-07 09:00 UTC-08:00" in text  # created on a Saturday
    assert "2026-12-09T01:00:00Z" in text


def test_triage_answers_every_line_in_order_and_fails_on_bad_lines() -> None:
    lines = [
        {"id": "a", "plan": "growth", "region": "americas", "topic": "troubleshooting",
         "created_at": "2026-12-01T10:00:00-08:00", "channel": "web"},
        {"id": "b", "plan": "gold", "region": "americas", "topic": "troubleshooting",
         "created_at": "2026-12-01T10:00:00-08:00", "channel": "web"},
        {"id": "c", "plan": "starter", "region": "emea", "topic": "troubleshooting",
         "created_at": "2026-12-01T10:00:00+01:00", "channel": "email"},
    ]  # fmt: skip
    stdin = "\n".join(json.dumps(line) for line in lines) + "\nnot json\n"
    result = run("triage", stdin=stdin)
    assert result.returncode == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("id") for o in out] == ["a", "b", "c", None]
    assert out[0]["first_response_due"] == "2026-12-03T18:00:00Z"
    assert "plan" in out[1]["error"] and "error" in out[3]
    assert out[2]["outcome"] == "deflect" and out[2]["route"]["kind"] == "community"


def test_triage_thousands_of_lines() -> None:
    line = json.dumps({"id": "x", "plan": "premium", "region": "emea", "topic": "concepts",
                       "created_at": "2026-12-04T23:00:00+00:00", "channel": "web"})  # fmt: skip
    result = run("triage", stdin=(line + "\n") * 5000)
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert len(out) == 5000 and all('"2026-12-07T23:00:00Z"' in o for o in out)


def test_triage_with_an_invalid_policy_says_so(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("format = 1\n", encoding="utf-8")
    result = run("triage", "--policy", str(bad), stdin="{}\n")
    assert result.returncode == 1 and f"{bad}: id: missing" in result.stderr


def test_sla_due_batch() -> None:
    result = run("sla", "due", "--calendar", "us-west", "--target", "2d",
                 stdin="2026-12-01T10:00:00-08:00\n2026-12-24T16:00:00-08:00\nyesterday\n")  # fmt: skip
    assert result.returncode == 1
    assert result.stdout.splitlines()[:2] == ["2026-12-03T18:00:00Z", "2026-12-30T00:00:00Z"]
    assert result.stdout.splitlines()[2].startswith("error: 'yesterday'")


def test_sla_calendar_lists_open_intervals_in_utc_and_local_time() -> None:
    result = run("sla", "calendar", "us-west", "--from", "2026-12-24", "--to", "2026-12-28")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if not line.startswith("#")]
    # Thu 24th open, Fri 25th Christmas, weekend closed, Mon 28th open.
    assert len(lines) == 2
    assert lines[0].startswith("2026-12-24T17:00Z – 2026-12-25T01:00Z") and "Thu 2026-12-24 09:00" in lines[0]
    assert lines[1].startswith("2026-12-28T17:00Z")


def test_sla_due_rounds_a_fraction_of_a_second_up_like_triage() -> None:
    # docs/sla.md: 16:59:59.5 on Tue 2026-12-01 (us-west, 09-17 UTC-08:00) is 17:00:00, the
    # closing instant, so a 1-second target counts from Wednesday's opening. Truncating to
    # 16:59:59 would leave the second on Tuesday and answer 17:00:00 Tuesday, 16 hours early.
    result = run("sla", "due", "--calendar", "us-west", "--target", "1s",
                 stdin="2026-12-01T16:59:59.5-08:00\n2026-12-01T16:59:59.000001-08:00\n"
                       "2026-12-01T16:59:59-08:00\n")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "2026-12-02T17:00:01Z",
        "2026-12-02T17:00:01Z",
        "2026-12-02T01:00:00Z",
    ]


def test_sla_due_agrees_with_triage_on_a_fractional_created_at() -> None:
    created = "2026-12-01T16:59:59.250-08:00"
    due = run("sla", "due", "--calendar", "us-west", "--target", "2d", stdin=created + "\n")
    request = {"id": "r1", "plan": "growth", "region": "americas", "topic": "troubleshooting",
               "created_at": created}  # fmt: skip
    triaged = run("triage", stdin=json.dumps(request) + "\n")
    assert due.returncode == 0 and triaged.returncode == 0, due.stderr + triaged.stderr
    assert due.stdout.splitlines() == ["2026-12-04T01:00:00Z"]
    assert json.loads(triaged.stdout)["first_response_due"] == "2026-12-04T01:00:00Z"
