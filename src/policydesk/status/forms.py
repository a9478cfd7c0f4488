"""Input of the status page: the public subscribe form and engineering's console forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from policydesk.status.models import Component, Incident, Severity

OPEN_STATES = [(value, label) for value, label in Incident.State.choices if value != Incident.State.RESOLVED]


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)


class IncidentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    title_ja = forms.CharField(label=_("Title in Japanese"), max_length=200, required=False)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    state = forms.ChoiceField(label=_("State"), choices=OPEN_STATES)
    components = forms.ModelMultipleChoiceField(
        label=_("Affected components"),
        queryset=Component.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    body = forms.CharField(label=_("First update"), widget=forms.Textarea(attrs={"rows": 3}))
    body_ja = forms.CharField(
        label=_("First update in Japanese"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class UpdateForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=Incident.State.choices)
    severity = forms.ChoiceField(
        label=_("Severity"), choices=[("", _("unchanged")), *Severity.choices], required=False
    )
    body = forms.CharField(label=_("Update"), widget=forms.Textarea(attrs={"rows": 3}))
    body_ja = forms.CharField(
        label=_("Update in Japanese"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class LinkTicketForm(forms.Form):
    number = forms.IntegerField(label=_("Ticket number"), min_value=1)


class ComponentForm(forms.Form):
    slug = forms.SlugField(label=_("Slug"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=120)
    name_ja = forms.CharField(label=_("Name in Japanese"), max_length=120, required=False)
    position = forms.IntegerField(label=_("Position"), min_value=0, initial=0, required=False)
