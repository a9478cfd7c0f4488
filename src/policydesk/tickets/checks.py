"""System checks for operator configuration (`policydesk check`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from policydesk.desk_policy import policy_path
from policydesk.policy.loading import PolicyError, load_policy


@register()
def check_policy(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """policydesk.E001: the configured policy file must load and validate."""
    try:
        load_policy(policy_path())
    except PolicyError as error:
        return [
            Error(
                f"The support policy is not valid: {issue}",
                hint="Run 'policydesk policy check' and fix the file named by POLICYDESK_POLICY.",
                id="policydesk.E001",
            )
            for issue in error.issues
        ]
    return []


@register(deploy=True)
def check_secret_key(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """policydesk.E002: the development secret key must not run in production."""
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        return [
            Error(
                "POLICYDESK_SECRET_KEY is not set: the development key is in use.",
                hint="Set POLICYDESK_SECRET_KEY to a long random string.",
                id="policydesk.E002",
            )
        ]
    return []
