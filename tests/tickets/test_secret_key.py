"""No process runs on the public development secret key unless development mode is explicit
(issue 9, finding 6): the web server (WSGI and runserver), the worker, the SMTP listener and
the IMAP poller refuse to start and say what to set (policydesk.E002)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.test import override_settings

from policydesk.tickets.checks import development_key_refusal

ROOT = Path(__file__).resolve().parents[2]
POLICYDESK = [sys.executable, "-m", "policydesk.cli"]


def start(command: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Start a process as an operator would, without POLICYDESK_SECRET_KEY unless given."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"POLICYDESK_SECRET_KEY", "POLICYDESK_DEBUG", "DATABASE_URL"}
    }
    environment.update(
        PYTHONPATH=str(ROOT / "src"),
        POLICYDESK_DATA_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'desk.sqlite3'}",
        **env,
    )
    return subprocess.run(  # noqa: S603 - our own commands
        command, capture_output=True, text=True, timeout=120, env=environment, check=False, cwd=tmp_path
    )


@pytest.mark.parametrize(
    "command",
    [
        pytest.param([sys.executable, "-c", "import policydesk.wsgi"], id="wsgi"),
        pytest.param([*POLICYDESK, "runserver", "--noreload", "127.0.0.1:0"], id="runserver"),
        pytest.param([*POLICYDESK, "worker", "--batch", "--no-startup-delay"], id="worker"),
        pytest.param([*POLICYDESK, "smtpd", "--port", "0"], id="smtpd"),
        pytest.param([*POLICYDESK, "imap-poll", "--once"], id="imap-poll"),
        pytest.param([*POLICYDESK, "mail", "process"], id="mail process"),
    ],
)
def test_a_process_refuses_the_development_key_and_names_the_setting(
    command: list[str], tmp_path: Path
) -> None:
    result = start(command, tmp_path)
    assert result.returncode != 0
    assert "POLICYDESK_SECRET_KEY is not set" in result.stderr
    assert "POLICYDESK_DEBUG=1" in result.stderr
    assert not (tmp_path / "desk.sqlite3").exists() or (tmp_path / "desk.sqlite3").stat().st_size == 0


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({"POLICYDESK_SECRET_KEY": "an-operator-key-" + "x7" * 30}, id="key set"),
        pytest.param({"POLICYDESK_DEBUG": "1"}, id="development mode"),
    ],
)
def test_the_web_server_starts_with_a_key_or_in_development_mode(env: dict[str, str], tmp_path: Path) -> None:
    result = start([sys.executable, "-c", "import policydesk.wsgi"], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    checked = start([*POLICYDESK, "check"], tmp_path, **env)
    assert checked.returncode == 0 and "E002" not in checked.stderr, checked.stderr


def test_the_refusal_is_a_system_check_error_without_debug() -> None:
    with (
        override_settings(SECRET_KEY=settings.DEV_SECRET_KEY, DEBUG=False),
        pytest.raises(SystemCheckError, match=r"policydesk\.E002.*POLICYDESK_SECRET_KEY"),
    ):
        call_command("check")


def test_development_mode_runs_on_the_development_key_but_deploy_checks_still_refuse_it() -> None:
    with override_settings(SECRET_KEY=settings.DEV_SECRET_KEY, DEBUG=True):
        assert development_key_refusal() is None
        call_command("check")
        with pytest.raises(SystemCheckError, match=r"policydesk\.E002"):
            call_command("check", "--deploy", "--fail-level", "ERROR")


def test_the_smtp_listener_refuses_before_listening() -> None:
    with (
        override_settings(SECRET_KEY=settings.DEV_SECRET_KEY, DEBUG=False),
        pytest.raises(CommandError, match="POLICYDESK_SECRET_KEY is not set"),
    ):
        call_command("smtpd", "--port", "0")


def test_any_other_key_is_accepted() -> None:
    assert settings.SECRET_KEY != settings.DEV_SECRET_KEY  # tests/conftest.py sets one
    assert development_key_refusal() is None
