"""`policydesk serve` (issue 16): gunicorn serving the desk in a process of its own, static files
collected and served by the app with hashed names, a graceful reload (SIGHUP) that keeps
answering, and SIGTERM that stops it; the development key refused."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

POLICYDESK = [sys.executable, "-m", "policydesk.cli"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - a loopback URL we built
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        try:
            if get(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {seconds} s")


@pytest.fixture
def production_env(tmp_path: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("POLICYDESK_") and key != "DATABASE_URL"
    }
    env.update(
        POLICYDESK_DATA_DIR=str(tmp_path),
        POLICYDESK_SECRET_KEY="a-test-key-" + "x" * 50,
        DATABASE_URL=f"sqlite:///{tmp_path}/desk.sqlite3",
    )
    return env


def serve(env: dict[str, str], workers: int, threads: int) -> tuple[subprocess.Popen[bytes], int]:
    """`policydesk serve` on a free port, its output captured."""
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [
            *POLICYDESK,
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    return server, port


def test_serve_answers_serves_hashed_static_files_reloads_and_stops(production_env: dict[str, str]) -> None:
    subprocess.run([*POLICYDESK, "collectstatic", "--noinput", "-v0"], env=production_env, check=True)  # noqa: S603
    server, port = serve(production_env, workers=1, threads=2)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/healthz", server)
        status, headers, body = get(f"{base}/policy/?lang=en")
        assert status == 200
        css = re.search(rb'href="(/static/policydesk/desk\.[0-9a-f]{12}\.css)"', body)
        assert css, "the page links its stylesheet by a hashed name"
        status, headers, _ = get(base + css.group(1).decode(), **{"Accept-Encoding": "gzip"})
        assert status == 200
        assert "immutable" in headers["Cache-Control"] and headers.get("Content-Encoding") == "gzip"
        server.send_signal(signal.SIGHUP)  # graceful reload: it keeps answering
        time.sleep(1)
        wait_for(f"{base}/healthz", server)
    finally:
        server.send_signal(signal.SIGTERM)
        _, errors = server.communicate(timeout=30)
    assert server.returncode == 0, errors.decode()
    assert b"Handling signal: hup" in errors and b"Handling signal: term" in errors


def test_serve_refuses_the_development_key(production_env: dict[str, str]) -> None:
    del production_env["POLICYDESK_SECRET_KEY"]
    done = subprocess.run(  # noqa: S603
        [*POLICYDESK, "serve", "--bind", f"127.0.0.1:{free_port()}"],
        env=production_env,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert b"POLICYDESK_SECRET_KEY" in done.stderr


def test_metrics_of_every_worker_are_summed_in_one_scrape(production_env: dict[str, str]) -> None:
    """Two sync workers answer the requests between them; whichever answers /metrics counts all."""
    production_env["POLICYDESK_METRICS_ALLOW"] = "127.0.0.1/32"
    subprocess.run([*POLICYDESK, "migrate", "--noinput", "-v0"], env=production_env, check=True)  # noqa: S603
    server, port = serve(production_env, workers=2, threads=1)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/healthz", server)
        with ThreadPoolExecutor(4) as clients:  # at once, so both workers answer some
            assert set(clients.map(lambda _: get(f"{base}/healthz")[0], range(40))) == {200}
        scrapes = [get(f"{base}/metrics")[2].decode() for _ in range(4)]
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
    counted = [
        float(match.group(1))
        for scrape in scrapes
        if (match := re.search(r'_duration_seconds_count\{method="GET",view="ops:healthz"\} (\S+)', scrape))
    ]
    # wait_for's probes and the 40: at least 41 in every scrape, whichever worker answered it.
    assert len(counted) == 4 and min(counted) >= 41, counted
    folder = Path(production_env["POLICYDESK_DATA_DIR"]) / "metrics" / f"127-0-0-1-{port}"
    assert len(list(folder.glob("histogram_*.db"))) == 2  # each worker wrote its own figures
