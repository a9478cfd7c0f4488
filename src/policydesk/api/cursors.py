"""Opaque cursors for keyset pagination: newest ticket first, by id, so a walk is stable
while tickets are created and updated (new ones appear before the walk's start)."""

from __future__ import annotations

import base64
import binascii
import json

CURSOR_VERSION = 1


class BadCursor(ValueError):
    """A cursor this API did not hand out."""


def encode_cursor(last_id: int) -> str:
    raw = json.dumps({"v": CURSOR_VERSION, "id": last_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id the previous page ended at; `BadCursor` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError) as error:
        raise BadCursor(str(error)) from error
    if not isinstance(data, dict) or data.get("v") != CURSOR_VERSION:
        raise BadCursor("unknown cursor version")
    last_id = data.get("id")
    if not isinstance(last_id, int) or isinstance(last_id, bool) or not 0 < last_id < 2**63:
        raise BadCursor("bad position")
    return last_id
