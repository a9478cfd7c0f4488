"""Mail that a machine wrote: stored, never answered (no loops, no tickets from auto-replies).

RFC 3834 (Auto-Submitted), the de-facto headers of vacation responders and list servers,
delivery status notifications (RFC 3464), bounce senders, and our own notifications.
"""

from __future__ import annotations

import re

from policydesk.mail.decoding import ParsedMessage, raw_headers

#: Every message we send carries this header; it coming back means a loop.
OUR_HEADER = "X-PolicyDesk-Notification"

_BOUNCE_LOCAL_PARTS = {"mailer-daemon", "postmaster", "mail-daemon", "noreply-dmarc-support"}


def automatic_reason(parsed: ParsedMessage, envelope_sender: str | None = None) -> str | None:
    """Why `parsed` is automatic mail, or None for mail a person wrote."""
    header = parsed.header
    if header(OUR_HEADER):
        return "our own notification came back"
    auto_submitted = header("Auto-Submitted").strip().lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = header("Precedence").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "List-Unsubscribe", "List-Id"):
        if header(name):
            return f"{name} header"
    content_type = parsed.message.get_content_type()
    if content_type == "multipart/report" or any(
        part.get_content_type() in ("message/delivery-status", "message/disposition-notification")
        for part in parsed.message.walk()
    ):
        return "delivery status notification"
    if envelope_sender is not None and envelope_sender.strip() in ("", "<>"):
        return "empty envelope sender (bounce)"
    if any(re.fullmatch(rb"\s*<\s*>\s*", value) for value in raw_headers(parsed.message, "Return-Path")):
        return "empty Return-Path (bounce)"
    local = parsed.from_address.split("@")[0]
    if local in _BOUNCE_LOCAL_PARTS:
        return f"sent by {local}"
    return None
