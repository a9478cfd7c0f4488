"""Mail fuzzing, the long run of tests/mail/test_fuzz.py: the same two generators (the header
grammar and byte mutations of ../shared/corpus/email) for a given time, random seeds.

    .venv/bin/python benchmarks/fuzz_mail.py [--seconds 600] [--seed N] [--keep DIR]

Runs in a throwaway data folder (SQLite unless DATABASE_URL is set; with DATABASE_URL the
tables of that database are used, so point it at a scratch one). Every input goes through
`process_message` and must end with a stored row and a defined outcome, never an escaped
exception and never "internal error". Prints the inputs tried, the counts per outcome and
per generator, and the failures found (each written to --keep, default a temporary folder,
to be replayed with `policydesk mail ingest`; the throwaway folder is removed when
nothing failed). Exits 1 if any failure was found.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class OutOfTime(Exception):
    """Ends a generator's run when its share of the time is spent."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="total run time (default 600)")
    parser.add_argument("--seed", type=int, default=None, help="a seed, to repeat a run")
    parser.add_argument("--keep", type=Path, default=None, help="where failing inputs are written")
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="policydesk-fuzz-"))
    os.environ.setdefault("POLICYDESK_DATA_DIR", str(data))
    os.environ.setdefault("POLICYDESK_DEBUG", "1")  # a throwaway desk: the development key is fine
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "policydesk.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings as django_settings
    from django.core.management import call_command

    django_settings.POLICYDESK_MAIL_DOMAIN = "example.com"
    django_settings.MEDIA_ROOT = data / "media"
    django_settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)

    import logging

    logging.disable(logging.CRITICAL)  # internal errors are counted below, not printed a thousand times
    from hypothesis import strategies as st

    from policydesk.tickets import actions
    from policydesk.tickets.models import Organisation, Person
    from tests.conftest import NOW
    from tests.mail import test_fuzz

    if not Person.objects.filter(email="hanna@kumo.example").exists():
        admin = actions.do_create_person(
            email="fuzz-admin@example.com", password=None, role="admin", actor=None, now=NOW
        )
        kumo = Organisation.objects.filter(name="Kumo").first() or actions.do_create_organisation(
            name="Kumo", plan="growth", region="emea", actor=admin, now=NOW
        )
        for email in ("hanna@kumo.example", "felix@kumo.example", *test_fuzz.corpus_senders()):
            actions.do_create_person(
                email=email, password=None, role="customer", actor=admin, now=NOW, organisation=kumo
            )

    keep = args.keep or data / "failures"
    keep.mkdir(parents=True, exist_ok=True)
    outcomes: Counter[str] = Counter()
    per_generator: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    failures: list[str] = []
    run_id = f"{time.time_ns()}"
    tried = 0

    def take(generator: str, raw: bytes, deadline: float) -> None:
        nonlocal tried
        if time.monotonic() > deadline:
            raise OutOfTime
        tried += 1
        per_generator[generator] += 1
        try:
            result = test_fuzz.check(raw, f"fuzz-{run_id}-{tried}")
            outcomes[result.outcome] += 1
            if result.outcome == "quarantined":
                reasons[(result.reason or "").split(":")[0].split("(")[0].strip()[:60]] += 1
        except Exception as error:  # a finding: kept, counted, and the run goes on
            outcomes["FAILURE"] += 1
            path = keep / f"failure-{len(failures) + 1}.eml"
            path.write_bytes(raw)
            failures.append(f"{path}: {type(error).__name__}: {str(error)[:200]}")
            traceback.print_exc(limit=3)

    generators: list[tuple[str, st.SearchStrategy[bytes]]] = [("grammar", test_fuzz.grammar_message())]
    messages = test_fuzz.corpus() if test_fuzz.CORPUS.is_dir() else []
    if messages:
        generators.append(("corpus-mutations", test_fuzz.mutated(messages)))
    else:
        print(f"note: no corpus at {test_fuzz.CORPUS}; the grammar alone runs", file=sys.stderr)

    started = time.monotonic()
    share = args.seconds / len(generators)
    for index, (name, strategy) in enumerate(generators):
        run_generator(name, strategy, started + share * (index + 1), take, args.seed, index)

    elapsed = time.monotonic() - started
    engine = django_settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"fuzz_mail: {tried} inputs in {elapsed:.0f} s ({tried / elapsed:.1f}/s), database {engine}")
    print("per generator: " + ", ".join(f"{name} {count}" for name, count in per_generator.items()))
    print("outcomes: " + ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items())))
    print("quarantine reasons: " + "; ".join(f"{name} {count}" for name, count in reasons.most_common(8)))
    print(f"failures found: {len(failures)}")
    for line in failures[:20]:
        print("  " + line)
    if not failures and args.keep is None:
        shutil.rmtree(data, ignore_errors=True)  # nothing to look at: the throwaway desk goes
    return 1 if failures else 0


def run_generator(
    name: str,
    strategy: Any,
    deadline: float,
    take: Callable[[str, bytes, float], None],
    base_seed: int | None,
    index: int,
) -> None:
    """Draw from `strategy` until `deadline`, each input through `take` (no shrinking: a
    failure is written out as it came)."""
    from hypothesis import HealthCheck, Phase, given, seed, settings

    @settings(
        max_examples=10**9,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(raw=strategy)
    def run(raw: bytes) -> None:
        take(name, raw, deadline)

    if base_seed is not None:
        run = seed(base_seed + index)(run)
    with contextlib.suppress(OutOfTime):
        run()


if __name__ == "__main__":
    sys.exit(main())
