"""Every setting is defined once, in settings.py (issue 10): no other module reads the
environment, looks a setting up with a fallback default, or injects settings."""

from __future__ import annotations

import re
from pathlib import Path

import policydesk

SOURCE = Path(policydesk.__file__).parent

# Before Django has settings there is nothing to read them from: the entry points name the
# settings module, and the worker asks whether it is the autoreloader's child (Django's own flag).
# `policydesk serve` names prometheus-client's multiprocess folder for its workers (the library
# reads that variable itself, when first imported in each worker), and /metrics asks whether it is
# set: a switch of the process, like DJANGO_SETTINGS_MODULE, not a setting of the desk.
BOOTSTRAP = {
    "cli/management/commands/serve.py": {"os.environ[MULTIPROCESS_ENV] = "},
    "metrics/views.py": {'os.environ.get("PROMETHEUS_MULTIPROC_DIR")'},
    "cli/__init__.py": {'os.environ.setdefault("DJANGO_SETTINGS_MODULE"'},
    "wsgi.py": {'os.environ.setdefault("DJANGO_SETTINGS_MODULE"'},
    "watch/management/commands/worker.py": {"os.environ.get(DJANGO_AUTORELOAD_ENV)"},
}
FORBIDDEN = re.compile(r"os\.environ|os\.getenv|getattr\(\s*settings\b|globals\(\)")


def test_only_settings_reads_the_environment_or_defaults_a_setting() -> None:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE).as_posix()
        if relative == "settings.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if FORBIDDEN.search(line) and not any(ok in line for ok in BOOTSTRAP.get(relative, ())):
                found.append(f"{relative}:{number}: {line.strip()}")
    assert found == []
