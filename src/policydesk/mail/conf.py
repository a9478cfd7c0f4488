"""The email channel's settings, each with a default so that settings.py needs no edit.

Override any of them in settings (or in tests with `override_settings`).
"""

from __future__ import annotations

from django.conf import settings

from policydesk.desk_policy import get_policy


def support_domain() -> str:
    """The domain of our addresses and Message-IDs: POLICYDESK_MAIL_DOMAIN, else the policy's."""
    return str(getattr(settings, "POLICYDESK_MAIL_DOMAIN", "") or get_policy().domain).lower()


def support_local_part() -> str:
    return str(getattr(settings, "POLICYDESK_MAIL_LOCAL_PART", "support")).lower()


def support_address() -> str:
    return f"{support_local_part()}@{support_domain()}"


def from_address() -> str:
    """The From of our mail, e.g. 'Example Analytics Support <support@example.com>'."""
    configured = getattr(settings, "POLICYDESK_MAIL_FROM", "")
    return str(configured) if configured else f"{get_policy().vendor} Support <{support_address()}>"


def accepted_recipients() -> set[str]:
    """Addresses the SMTP listener accepts (plus their signed `+token` variants); 550 for others."""
    configured = getattr(settings, "POLICYDESK_MAIL_ACCEPTED_RECIPIENTS", None)
    addresses = configured if configured else [support_address()]
    return {str(a).lower() for a in addresses}


def max_message_bytes() -> int:
    """Announced in EHLO (SIZE) and enforced (552)."""
    return int(getattr(settings, "POLICYDESK_MAIL_MAX_BYTES", 25 * 1024 * 1024))


def max_recipients() -> int:
    """Recipients per SMTP transaction; the next RCPT gets 452 (RFC 5321: send them again later)."""
    return int(getattr(settings, "POLICYDESK_MAIL_MAX_RECIPIENTS", 50))


def authserv_id() -> str:
    """The authserv-id of our receiving server: only the topmost Authentication-Results
    header carrying it is read ('' = none is trusted)."""
    return str(getattr(settings, "POLICYDESK_MAIL_AUTHSERV_ID", "")).strip().lower()


def max_attachments() -> int:
    """Files attached to the ticket per message; the others are named on the ticket."""
    return int(getattr(settings, "POLICYDESK_MAIL_MAX_ATTACHMENTS", 100))


def max_parts() -> int:
    """MIME parts read per message; the rest are counted and named as not read."""
    return int(getattr(settings, "POLICYDESK_MAIL_MAX_PARTS", 2000))


def automatic_rate_limit() -> tuple[int, int]:
    """(messages, seconds): at most this many automatic messages to one recipient."""
    count, seconds = getattr(settings, "POLICYDESK_MAIL_RATE_LIMIT", (10, 3600))
    return int(count), int(seconds)


def send_attempts() -> int:
    return int(getattr(settings, "POLICYDESK_MAIL_SEND_ATTEMPTS", 5))


def imap_settings() -> dict[str, object]:
    """POLICYDESK_IMAP = {"host", "port", "user", "password", "folder", "ssl", "move_to", "batch"}."""
    defaults: dict[str, object] = {
        "host": "127.0.0.1",
        "port": 993,
        "user": "",
        "password": "",
        "folder": "INBOX",
        "ssl": True,
        "move_to": "",
        "batch": 50,
        "mailbox": "imap",
        "idle_seconds": 300,
    }
    defaults.update(getattr(settings, "POLICYDESK_IMAP", {}))
    return defaults
