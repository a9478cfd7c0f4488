"""`policydesk rundesk`: the whole desk in one process group: web server and task worker."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from policydesk.mail import conf


def port_free(host: str, port: int) -> bool:
    """Whether a server could listen on host:port now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError:
            return False
    return True


class Command(BaseCommand):
    help = (
        "Start the web server, the task worker with the SLA watch, and the SMTP listener; stop all on Ctrl-C."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--addr", default=settings.POLICYDESK_ADDR)

    def handle(self, *args: Any, **options: Any) -> None:
        addr = options["addr"]
        smtp_port = str(settings.POLICYDESK_SMTP_PORT)
        host, _, port = addr.rpartition(":")
        for what, bind_host, bind_port, knob in (
            ("web server", host or "127.0.0.1", port, "PORT"),
            ("SMTP listener", "127.0.0.1", smtp_port, "SMTP_PORT"),
        ):
            if not port_free(bind_host, int(bind_port)):
                raise CommandError(
                    f"Port {bind_port} on {bind_host}, for the {what}, is taken (another policydesk, or "
                    f"another program). Stop it, or choose another port: make run {knob}={int(bind_port) + 1}"
                )
        # -u: unbuffered output, so the children's lines interleave as they happen. The children
        # inherit this process's environment and so read the same settings.
        me = [sys.executable, "-u", "-m", "policydesk.cli"]
        children = {
            "web": subprocess.Popen([*me, "runserver", addr, "--noreload", "--insecure"]),  # noqa: S603
            "worker": subprocess.Popen([*me, "worker"]),  # noqa: S603
            "smtpd": subprocess.Popen([*me, "smtpd", "--host", "127.0.0.1", "--port", smtp_port]),  # noqa: S603
        }
        base = f"http://{addr}"
        self.stdout.write(
            "\npolicydesk is running:\n"
            f"  Support policy (en): {base}/policy/?lang=en\n"
            f"  Support policy (ja): {base}/policy/?lang=ja\n"
            f"  Agent console:       {base}/console/\n"
            f"  Customer portal:     {base}/tickets/\n"
            f"  In-product form:     {base}/widget/demo/ (development demo)\n"
            f"  Status page:         {base}/status/\n"
            f"  REST API:            {base}/api/v1/docs\n"
            f"  Admin:               {base}/admin/\n"
            f"  SMTP listener:       127.0.0.1:{smtp_port} (mail to {conf.support_address()})\n"
            f"  Database:            {settings.DATABASES['default']['NAME']}\n"
            "  Logins: see the list above. Ctrl-C stops everything.\n"
        )
        try:
            while all(child.poll() is None for child in children.values()):
                time.sleep(0.5)
            for name, child in children.items():
                if child.returncode is not None:
                    self.stderr.write(f"{name} stopped with exit status {child.returncode}")
        except KeyboardInterrupt:
            pass
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children.values():
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
