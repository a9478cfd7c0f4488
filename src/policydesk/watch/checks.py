"""System checks for the watch's operator settings (ids policydesk.E610-E612)."""

from __future__ import annotations

from typing import Any

from django.core import checks

from policydesk.watch import config

KNOWN_CHANNELS = ("email", "webhook")


def check_paging(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    problems: list[checks.CheckMessage] = []
    for name in config.paging_channels():
        if name not in KNOWN_CHANNELS:
            problems.append(
                checks.Error(
                    f"unknown paging channel {name!r} in POLICYDESK_PAGING_CHANNELS",
                    hint=f"Use a comma-separated list of {', '.join(KNOWN_CHANNELS)}.",
                    id="policydesk.E612",
                )
            )
    url = config.webhook_url()
    if url and "webhook" in config.paging_channels():
        if not url.startswith(("https://", "http://")):
            problems.append(
                checks.Error(
                    f"POLICYDESK_PAGING_WEBHOOK_URL must be an http(s) URL, got {url!r}",
                    id="policydesk.E611",
                )
            )
        if not config.webhook_secret():
            problems.append(
                checks.Error(
                    "POLICYDESK_PAGING_WEBHOOK_URL is set but POLICYDESK_PAGING_WEBHOOK_SECRET is empty: "
                    "pages would go out unsigned, so the webhook channel is off",
                    hint="Set a long random POLICYDESK_PAGING_WEBHOOK_SECRET shared with the receiver.",
                    id="policydesk.E610",
                )
            )
    return problems


def register() -> None:
    checks.register(check_paging)
