"""The reports' date range: from and to, both days included (UTC)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from policydesk.reports.queries import Period
from policydesk.tickets.tags import BadTag, normalise_tag

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_DAYS = 366  # a year at most: the figures are computed on request
# The dates a report may ask about; beyond them date arithmetic overflows (year 9999).
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


def within_report_range(day: date) -> None:
    if not EARLIEST <= day <= LATEST:
        raise forms.ValidationError(
            _("Choose a date from %(earliest)s to %(latest)s."),
            code="out_of_range",
            params={"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
        )


def report_date_field(label: StrOrPromise) -> forms.DateField:
    """An optional date within the range reports can cover (the browser's picker says so too)."""
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(
            attrs={"type": "date", "min": EARLIEST.isoformat(), "max": LATEST.isoformat()}
        ),
        validators=[within_report_range],
    )


class PeriodForm(forms.Form):
    start = report_date_field(_("From"))
    end = report_date_field(_("To"))
    tag = forms.CharField(label=_("Tag"), required=False, max_length=100)

    def __init__(self, data: Any, *, default: Period) -> None:
        super().__init__(data)
        self.default = default

    def clean_tag(self) -> str:
        raw = self.cleaned_data.get("tag") or ""
        try:
            return normalise_tag(raw) if raw.strip() else ""
        except BadTag as bad:
            raise forms.ValidationError(bad.explained()) from bad

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start: date = cleaned.get("start") or self.default.start
        end: date = cleaned.get("end") or self.default.end
        if start > end:
            raise forms.ValidationError(_("The start of the period is after its end."))
        if end - start > timedelta(days=MAX_DAYS):
            raise forms.ValidationError(_("Choose a period of at most a year."))
        cleaned["period"] = Period(start, end)
        return cleaned

    def period(self) -> Period:
        """The chosen period, or the default when the input is missing or invalid (a bad tag alone
        keeps the period: the page shows every ticket of it, with the tag's error)."""
        if self.is_valid() or (set(self.errors) == {"tag"} and "period" in self.cleaned_data):
            period: Period = self.cleaned_data["period"]
            return period
        return self.default

    def chosen_tag(self) -> str:
        """The tag the tickets are filtered by (normal form), '' for all; '' when the input is invalid."""
        return self.cleaned_data["tag"] if self.is_valid() else ""
