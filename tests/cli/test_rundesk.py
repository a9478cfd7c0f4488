"""`policydesk rundesk` (`make run`): a port already taken is said plainly, with the way out, and
nothing is started; the SMTP library's line per connection stays out of the console."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from pathlib import Path


def test_a_taken_port_is_said_without_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "POLICYDESK_DEBUG": "1", "POLICYDESK_DATA_DIR": str(tmp_path)}
        env.pop("DATABASE_URL", None)
        done = subprocess.run(  # noqa: S603 - our own CLI
            [sys.executable, "-m", "policydesk.cli", "rundesk", "--addr", f"127.0.0.1:{port}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1
    assert f"Port {port} on 127.0.0.1, for the web server, is taken" in done.stderr
    assert f"make run PORT={port + 1}" in done.stderr
    assert "Traceback" not in done.stderr and "policydesk is running" not in done.stdout


def test_the_smtp_librarys_chatter_is_quiet() -> None:
    assert logging.getLogger("mail.log").getEffectiveLevel() >= logging.WARNING
