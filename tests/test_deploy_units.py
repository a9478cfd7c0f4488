"""The systemd units in deploy/systemd (issue 16): deploy/check-units finds each command they run
and, where systemd-analyze is installed, nothing systemd would refuse; a broken unit is caught."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def check(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own script
        [str(folder / "check-units")], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_units_check() -> None:
    done = check(ROOT / "deploy")
    assert done.returncode == 0, done.stderr


def test_a_unit_running_no_such_command_is_caught(tmp_path: Path) -> None:
    copy = tmp_path / "deploy"
    shutil.copytree(ROOT / "deploy", copy)
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    unit = copy / "systemd" / "policydesk-worker.service"
    unit.write_text(unit.read_text().replace("policydesk worker", "policydesk wroker"))
    done = check(copy)
    assert done.returncode == 1
    assert "no such policydesk command: wroker" in done.stderr
