"""What the help center remembers about guessing and replay, in the database so that every web
process sees the same (issue 9, findings 8 and 9): sign-in limit counters and used tokens."""

from __future__ import annotations

from django.db import models


class LimitCounter(models.Model):
    """One fixed-window counter of a sign-in limit (`portal/limits.py`). The key is an HMAC of
    the rule and what it counts (an address, a client), never the address itself."""

    key = models.CharField(max_length=128, unique=True)
    window_start = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key[:24]}…: {self.count} since {self.window_start:%Y-%m-%d %H:%M}"


class UsedToken(models.Model):
    """A single-use token that has been used (`portal/limits.py: use_once`). The unique digest
    makes a second use fail in any process; the row goes once the token has expired anyway."""

    digest = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=32)
    used_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.kind} used {self.used_at:%Y-%m-%d %H:%M}"
