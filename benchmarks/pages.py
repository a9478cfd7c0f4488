"""The CPU of the pages anyone may ask for, without signing in (issue 17): a page that costs
much is a way to load the desk for free. Each path is asked for 20 times after one warm-up,
through Django's test client (no HTTP server), in English and in Japanese, on a throwaway
SQLite database with the demo data; ms of this process's CPU per request, slowest first.

    .venv/bin/python benchmarks/pages.py

To measure another commit, run it with that commit's `src` first on PYTHONPATH.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import time

from harness import print_table, throwaway_database

PATHS = (
    "/healthz", "/readyz", "/", "/policy/", "/status/", "/signin/", "/widget.js",
    "/help/search/?q=export", "/api/v1/docs", "/api/v1/openapi.json", "/api/v1/policy",
)  # fmt: skip
TIMES = 20


def main() -> None:
    with throwaway_database("sqlite", postgres_url="", name="", prefix="bench-pages-"):
        os.environ.setdefault("POLICYDESK_SECRET_KEY", "bench-" + "k" * 50)
        import django

        django.setup()
        from django.core.management import call_command
        from django.test import Client

        call_command("migrate", verbosity=0)
        with contextlib.redirect_stdout(io.StringIO()):  # the demo's logins
            call_command("demo", verbosity=0)
        logging.disable(logging.CRITICAL)  # /readyz logs its failed checks (no worker here)
        client = Client()
        rows = []
        for path in PATHS:
            for language in ("en", "ja"):
                response = client.get(path, headers={"accept-language": language})
                started = time.process_time()
                for _ in range(TIMES):
                    response = client.get(path, headers={"accept-language": language})
                spent = time.process_time() - started
                rows.append((1000 * spent / TIMES, path, language, response.status_code))
    rows.sort(reverse=True)
    print_table(
        ["path", "language", "status", "CPU ms per request"],
        [[path, language, str(status), f"{ms:.2f}"] for ms, path, language, status in rows],
    )


if __name__ == "__main__":
    main()
