"""The policy this desk runs by: loaded from settings.POLICYDESK_POLICY, reloaded on change."""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

from django.conf import settings

from policydesk.policy.loading import default_policy_path, load_policy
from policydesk.policy.model import Policy

_lock = threading.Lock()
_cache: dict[tuple[str, int], Policy] = {}


# Where the bundled default lies never changes in a process; finding it (importlib.resources)
# cost most of a get_policy() call, which every intake makes (issue 17).
_bundled_policy_path = cache(default_policy_path)


def policy_path() -> Path:
    """The configured policy file, or the bundled default."""
    return Path(settings.POLICYDESK_POLICY) if settings.POLICYDESK_POLICY else _bundled_policy_path()


def plan_name(plan_id: str, lang: str) -> str:
    """A plan's published name in `lang`; the id itself for a plan the policy no longer has."""
    plan = get_policy().plans.get(plan_id)
    return plan.name.get(lang) if plan else plan_id


def mission_critical_promises(lang: str) -> str:
    """What the policy promises mission-critical requests (C6), plan by plan, in its own words."""
    return "; ".join(
        f"{plan.name.get(lang)}: {plan.mission_critical.first_response.text.get(lang)}"
        for plan in get_policy().plans.values()
        if plan.mission_critical is not None
    )


def get_policy() -> Policy:
    """The current policy; re-read when the file's modification time changes.

    A file that became invalid raises `PolicyError`; the system check
    `policydesk.E001` reports the same at start-up.
    """
    path = policy_path()
    key = (str(path), path.stat().st_mtime_ns)
    cached = _cache.get(key)  # the usual case, without the lock (a dict read is atomic)
    if cached is not None:
        return cached
    with _lock:
        if key not in _cache:
            policy = load_policy(path)
            _cache.clear()
            _cache[key] = policy
        return _cache[key]
