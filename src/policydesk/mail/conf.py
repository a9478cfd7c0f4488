"""The email channel's settings as the mail app uses them: derived values (the support address
from the policy's domain) and normalised forms. Each setting, its type and its default are in
settings.py; override them there (or in tests with the `settings` fixture)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection

from policydesk.desk_policy import get_policy


def support_domain() -> str:
    """The domain of our addresses and Message-IDs: POLICYDESK_MAIL_DOMAIN, else the policy's."""
    return (settings.POLICYDESK_MAIL_DOMAIN or get_policy().domain).lower()


def support_local_part() -> str:
    return str(settings.POLICYDESK_MAIL_LOCAL_PART).lower()


def support_address() -> str:
    return f"{support_local_part()}@{support_domain()}"


def from_address() -> str:
    """The From of our mail, e.g. 'Example Analytics Support <support@example.com>'."""
    configured = settings.POLICYDESK_MAIL_FROM
    return str(configured) if configured else f"{get_policy().vendor} Support <{support_address()}>"


def accepted_recipients() -> set[str]:
    """Addresses the SMTP listener accepts (plus their signed `+token` variants); 550 for others."""
    configured = settings.POLICYDESK_MAIL_ACCEPTED_RECIPIENTS
    addresses = configured if configured else [support_address()]
    return {str(a).lower() for a in addresses}


def max_message_bytes() -> int:
    """Announced in EHLO (SIZE) and enforced (552)."""
    return int(settings.POLICYDESK_MAIL_MAX_BYTES)


def max_recipients() -> int:
    """Recipients per SMTP transaction; the next RCPT gets 452 (RFC 5321: send them again later)."""
    return int(settings.POLICYDESK_MAIL_MAX_RECIPIENTS)


def authserv_id() -> str:
    """The authserv-id of our receiving server: only the topmost Authentication-Results
    header carrying it is read ('' = none is trusted)."""
    return str(settings.POLICYDESK_MAIL_AUTHSERV_ID).strip().lower()


def max_attachments() -> int:
    """Files attached to the ticket per message; the others are named on the ticket."""
    return int(settings.POLICYDESK_MAIL_MAX_ATTACHMENTS)


def max_parts() -> int:
    """MIME parts read per message; the rest are counted and named as not read."""
    return int(settings.POLICYDESK_MAIL_MAX_PARTS)


def automatic_rate_limit() -> tuple[int, int]:
    """(messages, seconds): at most this many automatic messages to one recipient."""
    count, seconds = settings.POLICYDESK_MAIL_RATE_LIMIT
    return int(count), int(seconds)


def send_attempts() -> int:
    return int(settings.POLICYDESK_MAIL_SEND_ATTEMPTS)


def send_lease() -> timedelta:
    """How long a queued message may wait for a sender, or a claimed one for its mark, before
    the worker's sweep enqueues it again (a worker killed before or during the send)."""
    return timedelta(seconds=float(settings.POLICYDESK_MAIL_SEND_LEASE_SECONDS))


def send_batch() -> int:
    """How many queued messages the worker claims and sends at a time (at least one)."""
    return max(1, int(settings.POLICYDESK_MAIL_SEND_BATCH))


def processors() -> int:
    """How many processors the SMTP listener runs side by side (`POLICYDESK_MAIL_PROCESSORS`;
    0: 1 on SQLite, 2 on PostgreSQL)."""
    configured = int(settings.POLICYDESK_MAIL_PROCESSORS)
    if configured > 0:
        return configured
    return 2 if connection.vendor == "postgresql" else 1


def send_gather_seconds() -> float:
    """How long the worker lets mail gather after a batch that emptied the queue (0: none)."""
    return max(0.0, float(settings.POLICYDESK_MAIL_SEND_GATHER_SECONDS))


def imap_settings() -> dict[str, object]:
    """POLICYDESK_IMAP = {"host", "port", "user", "password", "folder", "ssl", "move_to", "batch",
    "mailbox", "idle_seconds"} (settings.py)."""
    return dict(settings.POLICYDESK_IMAP)
