"""Every form submits once: a form carries a one-time key (`once_key`), and the action that
handles it claims the key inside its own transaction. A second submit with the same key (a
double click, the browser's resubmit) does nothing new: the action returns what the first one
made, and the person lands on the same page (one ticket, one reply, one mail).

The claim is a row with a unique (key, person): a second request with the same key waits on
the first one's transaction (SQLite's IMMEDIATE transactions, PostgreSQL's unique index) and
then finds its row. Keys are kept `ONCE_KEY_HOURS`; older ones are dropped on the next claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.db import IntegrityError, models, transaction

from policydesk.tickets.models import Person, SubmittedForm

ONCE_KEY_HOURS = 24
MAX_KEY_LENGTH = 64


@dataclass
class Claim:
    """A claimed key: `earlier` is what the first submit made (None: this is the first)."""

    row: SubmittedForm | None
    earlier: models.Model | None = None

    @property
    def repeated(self) -> bool:
        return self.earlier is not None

    def remember(self, made: models.Model) -> None:
        """Record what this submit made (inside the action's transaction)."""
        if self.row is None:
            return
        self.row.result_type = made._meta.label_lower
        self.row.result_id = made.pk
        self.row.save(update_fields=["result_type", "result_id"])


def claim(once_key: str, person: Person, action: str, now: datetime) -> Claim:
    """Claim `once_key` for `person` inside the caller's transaction. No key (an API client, a
    test, email): nothing to claim, the action runs."""
    key = once_key.strip()[:MAX_KEY_LENGTH]
    if not key:
        return Claim(row=None)
    SubmittedForm.objects.filter(created_at__lt=now - timedelta(hours=ONCE_KEY_HOURS)).delete()
    try:
        with transaction.atomic():
            row = SubmittedForm.objects.create(key=key, person=person, action=action, created_at=now)
    except IntegrityError:
        first = SubmittedForm.objects.get(key=key, person=person)
        earlier = _made(first)
        if first.action == action and earlier is not None:
            return Claim(row=None, earlier=earlier)
        # The key of another form (or of a submit whose result is gone): treat as a new submit.
        return Claim(row=None)
    return Claim(row=row)


def _made(row: SubmittedForm) -> models.Model | None:
    if not row.result_type or row.result_id is None:
        return None
    model: type[models.Model] = apps.get_model(row.result_type)
    made: models.Model | None = model._default_manager.filter(pk=row.result_id).first()
    return made
