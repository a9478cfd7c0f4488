"""Issue 9 (11): `policydesk check --deploy` is clean in the documented production configuration.

The configuration is the environment block of docs/security.md, read from the page itself, so
the page and the test can't drift apart. The check runs in a process of its own, because the
settings derive from the environment when they are imported.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SECURITY_DOC = ROOT / "docs" / "security.md"
MARKER = "<!-- tests/test_deploy_check.py"


def documented_environment() -> dict[str, str]:
    """The `NAME=value` lines of the fenced block after the marker in docs/security.md,
    with a real random value for each `<placeholder>` secret."""
    text = SECURITY_DOC.read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", text[text.index(MARKER) :], re.S)
    assert block is not None
    environment = {}
    for line in block.group(1).splitlines():
        name, _, value = line.partition("=")
        environment[name.strip()] = secrets.token_urlsafe(50) if value.startswith("<") else value
    return environment


def run_check(environment: dict[str, str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("POLICYDESK_", "DJANGO_")) and name != "DATABASE_URL"
    }
    return subprocess.run(
        [sys.executable, "-m", "policydesk.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env={**inherited, **environment, "POLICYDESK_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_documented_environment_sets_what_the_issue_asks_for() -> None:
    environment = documented_environment()
    assert environment["POLICYDESK_SITE_URL"].startswith("https://")
    assert environment["POLICYDESK_PROXY_SSL_HEADER"] == "X-Forwarded-Proto: https"
    assert len(environment["POLICYDESK_SECRET_KEY"]) >= 50


def test_check_deploy_is_clean_in_the_documented_production_configuration(tmp_path: Path) -> None:
    environment = documented_environment()
    # The check reads no database; SQLite in a temporary folder keeps it off any server.
    environment["DATABASE_URL"] = f"sqlite:///{tmp_path / 'policydesk.sqlite3'}"
    result = run_check(environment, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


@pytest.mark.parametrize(
    ("left_out", "warning"),
    [
        ("POLICYDESK_PROXY_SSL_HEADER", "security.W008"),  # no safe https redirect without it
        ("POLICYDESK_HSTS_SECONDS", "security.W004"),
        ("POLICYDESK_MAIL_AUTHSERV_ID", "policydesk.W001"),  # no Authentication-Results trusted
    ],
)
def test_each_proxy_setting_is_needed_for_a_clean_check(tmp_path: Path, left_out: str, warning: str) -> None:
    environment = documented_environment()
    environment["DATABASE_URL"] = f"sqlite:///{tmp_path / 'policydesk.sqlite3'}"
    del environment[left_out]
    result = run_check(environment, tmp_path)
    assert result.returncode == 1 and warning in result.stderr + result.stdout
