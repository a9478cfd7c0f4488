"""`policydesk serve`: the web server for production, gunicorn with the desk's WSGI application.

Workers (processes) and threads come from the environment: `POLICYDESK_WEB_WORKERS` (default 2),
`POLICYDESK_WEB_THREADS` (default 4; more than 1 uses gunicorn's threaded workers), the address
`POLICYDESK_BIND` (default `POLICYDESK_ADDR`, 127.0.0.1:8000), `POLICYDESK_WEB_TIMEOUT` (30 s).
SIGHUP reloads the code and settings gracefully (new workers start, old ones finish their requests);
SIGTERM stops after the requests in flight. Static files are served by the app (WhiteNoise) once
`policydesk collectstatic` has run. `rundesk` stays the development trio (runserver, worker, SMTP).

Its workers share their request-latency figures: each writes them to files in
`POLICYDESK_DATA_DIR/metrics/<port>` (prometheus-client's multiprocess mode, emptied at each
start), so `/metrics` answered by any worker counts the requests of all.
"""

from __future__ import annotations

import os
import shutil
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from gunicorn.app.base import BaseApplication

from policydesk.tickets.checks import development_key_refusal

#: prometheus-client reads it when it is first imported: in the workers, after the fork.
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


class DeskServer(BaseApplication):  # type: ignore[misc]  # gunicorn has no type hints
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from policydesk.wsgi import application

        return application


def _metrics_folder(bind: str) -> Path:
    """An empty folder for this server's workers' figures (one per address: two servers on one
    host do not mix theirs); the files of workers that ran before are stale counts."""
    name = "".join(c if c.isalnum() else "-" for c in bind)
    folder = Path(settings.DATA_DIR) / "metrics" / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def _child_exit(server: Any, worker: Any) -> None:
    """A worker gone: its live gauges are dropped (counters and histograms stay summed)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


class Command(BaseCommand):
    help = "Serve the desk over HTTP with gunicorn (production); see the module docstring for the settings."
    # The checks run in `policydesk check --deploy` and at deploy time; a restarted server should
    # be back at once. The development key is refused below and by policydesk.wsgi.
    requires_system_checks = ()

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--bind", default=settings.POLICYDESK_BIND)
        parser.add_argument("--workers", type=int, default=settings.POLICYDESK_WEB_WORKERS)
        parser.add_argument("--threads", type=int, default=settings.POLICYDESK_WEB_THREADS)
        parser.add_argument("--timeout", type=int, default=settings.POLICYDESK_WEB_TIMEOUT)

    def handle(self, *args: Any, **options: Any) -> None:
        if (refusal := development_key_refusal()) is not None:
            raise CommandError(refusal)  # policydesk.E002
        if min(options["workers"], options["threads"], options["timeout"]) < 1:
            raise CommandError("--workers, --threads and --timeout must be at least 1")
        if not (settings.STATIC_ROOT / "staticfiles.json").exists():
            self.stderr.write(
                f"Static files are not collected in {settings.STATIC_ROOT}: run `policydesk collectstatic` "
                "(until then pages are served without their styles and scripts)."
            )
        os.environ[MULTIPROCESS_ENV] = str(_metrics_folder(options["bind"]))
        DeskServer(
            {
                "child_exit": _child_exit,
                "bind": options["bind"],
                "workers": options["workers"],
                "threads": options["threads"],
                "worker_class": "gthread" if options["threads"] > 1 else "sync",
                "timeout": options["timeout"],
                "graceful_timeout": options["timeout"],
                "accesslog": "-",
                "errorlog": "-",
                "proc_name": "policydesk",
            }
        ).run()
