"""System checks for operator configuration (`policydesk check`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.core.checks import Warning as CheckWarning

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


DEVELOPMENT_KEY_REFUSAL = (
    "POLICYDESK_SECRET_KEY is not set, and the development key in the source is public: anyone could "
    "forge sign-in links, widget sessions, subscription confirmations and paging acknowledgements. "
    "Set POLICYDESK_SECRET_KEY to a long random string (python3 -c 'import secrets; "
    "print(secrets.token_urlsafe(50))'), or POLICYDESK_DEBUG=1 for development on your own machine "
    "(make run sets it)."
)


def development_key_refusal() -> str | None:
    """Why this process must not start (the public development key outside development
    mode), or None. Every process that signs or checks signatures calls it: Django's system
    checks (runserver, migrate, worker, imap-poll, mail, rundesk), `policydesk.wsgi` and
    `policydesk smtpd`, which skip the system checks."""
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY and not settings.DEBUG:
        return DEVELOPMENT_KEY_REFUSAL
    return None


@register()
def check_secret_key(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """policydesk.E002: no process runs on the development secret key unless POLICYDESK_DEBUG=1."""
    refusal = development_key_refusal()
    if refusal is None:
        return []
    return [Error(refusal, id="policydesk.E002")]


@register(deploy=True)
def check_secret_key_for_deploy(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """policydesk.E002 on `check --deploy`: the development key, even in development mode."""
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY and settings.DEBUG:
        return [
            Error(
                "POLICYDESK_SECRET_KEY is not set: the public development key is in use.",
                hint="Set POLICYDESK_SECRET_KEY to a long random string.",
                id="policydesk.E002",
            )
        ]
    return []


@register(deploy=True)
def check_mail_authserv_id(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """policydesk.W001: without our receiving server's authserv-id, no Authentication-Results
    header is trusted (anyone can write one), so a DMARC failure it reports is not acted on."""
    if str(settings.POLICYDESK_MAIL_AUTHSERV_ID).strip():
        return []
    return [
        CheckWarning(
            "POLICYDESK_MAIL_AUTHSERV_ID is not set: no Authentication-Results header is trusted, "
            "so mail your receiving server marks dmarc=fail is not quarantined for it.",
            hint="Set it to the authserv-id your MX writes in Authentication-Results (docs/security.md).",
            id="policydesk.W001",
        )
    ]
