"""The one-time key of a form that creates something (`tickets/actions/once.py` checks it).

Each rendered form gets a fresh key in a hidden field; a form shown again after an error keeps
the key it was sent with (nothing was made yet). The submit button is disabled while the form
is sent by `static/policydesk/desk.js`.
"""

from __future__ import annotations

import secrets
from typing import Any

from django import forms


def new_once_key() -> str:
    return secrets.token_urlsafe(24)


def once_key_field() -> forms.CharField:
    """A hidden field with a new key for every form rendered (a callable initial)."""
    return forms.CharField(widget=forms.HiddenInput, required=False, max_length=64, initial=new_once_key)


def once_key(form: forms.Form) -> str:
    cleaned: dict[str, Any] = getattr(form, "cleaned_data", {})
    return str(cleaned.get("once_key") or "")
