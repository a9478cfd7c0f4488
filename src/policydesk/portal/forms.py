"""The portal's forms: sign-in (and the admin's), the request form (C11-C15), replies and call
requests (C7)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from policydesk.policy.model import Plan, Policy
from policydesk.portal import signin
from policydesk.portal.presenting import PlanScope
from policydesk.security import max_request_bytes
from policydesk.tickets.actions import Upload
from policydesk.web.once import once_key_field

MAX_FILES = 10


class SignInForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)


class LinkRequestForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)


class LimitedAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's login (`/admin/login/`), checking the password within the same sign-in
    limits as the help center's form (`signin.check_password`)."""

    def clean(self) -> dict[str, Any]:
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email is not None and password and self.request is not None:
            checked = signin.check_password(self.request, email, password, timezone.now())
            if checked.retry_after is not None:
                raise forms.ValidationError(signin.too_many_attempts(checked.retry_after), code="limited")
            if checked.person is None:
                raise self.get_invalid_login_error()
            self.user_cache = checked.person
            self.confirm_login_allowed(checked.person)
        return self.cleaned_data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field, each checked against the size limit of the desk."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if len(files) > MAX_FILES:
            raise forms.ValidationError(gettext("At most %(n)d files, please.") % {"n": MAX_FILES})
        limit = settings.POLICYDESK_MAX_ATTACHMENT_BYTES
        cleaned = [super(MultipleFileField, self).clean(item, initial) for item in files]
        for item in cleaned:
            if item.size is not None and item.size > limit:
                raise forms.ValidationError(
                    gettext("%(name)s is larger than the limit of %(limit)s.")
                    % {"name": item.name, "limit": filesizeformat(limit)}
                )
        return cleaned


def uploads_from(files: list[UploadedFile]) -> tuple[Upload, ...]:
    return tuple(
        Upload(
            filename=(item.name or "attachment").replace("/", "_").replace("\\", "_"),
            content_type=item.content_type or "application/octet-stream",
            content=item.read(),
        )
        for item in files
    )


def topic_choices(
    policy: Policy, lang: str, plan: Plan | None = None
) -> list[tuple[str, list[tuple[str, str]]]]:
    """Request types (C11) and out-of-scope topics (C12), grouped, in the viewer's language.

    With the customer's `plan`: only the request types it covers (C2); the others are shown
    beside the form with where they go (`presenting.plan_scope`), not offered as if support took them."""
    return [
        (
            gettext("Support requests"),
            [
                (topic.id, topic.name.get(lang))
                for topic in policy.request_types.values()
                if plan is None or topic.id in plan.request_types
            ],
        ),
        (
            gettext("Outside support: we show you where to go"),
            [(topic.id, topic.name.get(lang)) for topic in policy.out_of_scope.values()],
        ),
    ]


class TopicField(forms.ChoiceField):
    """The topic select. Also accepts the request types the plan does not cover, which are not
    offered: a form loaded before a plan change, or a hand-made one, is still triaged and
    deflected with its text kept (C2), never refused with what was typed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.not_offered: frozenset[str] = frozenset()

    def valid_value(self, value: Any) -> bool:
        return value in self.not_offered or super().valid_value(value)


class TicketForm(forms.Form):
    """The request form of the help center and of the in-product widget."""

    topic = TopicField(label=_("What do you need help with?"))
    priority = forms.ChoiceField(label=_("Priority"), widget=forms.RadioSelect)
    subject = forms.CharField(label=_("Subject"), max_length=250)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 8}))
    attachments = MultipleFileField(label=_("Attachments"))
    once_key = once_key_field()

    def __init__(
        self,
        *args: Any,
        policy: Policy,
        lang: str,
        plan: Plan | None = None,
        scope: PlanScope | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.policy = policy
        self.plan_scope = scope  # what the plan covers and where the rest goes, shown first
        self.max_files = MAX_FILES
        self.max_attachment_bytes = settings.POLICYDESK_MAX_ATTACHMENT_BYTES
        # The whole request is capped before it is read (security.RequestSizeLimitMiddleware);
        # a megabyte of it is left for the form's text.
        self.max_total_bytes = max(max_request_bytes() - 1024 * 1024, self.max_attachment_bytes)
        topic_field = cast(TopicField, self.fields["topic"])
        topic_field.choices = [("", gettext("Choose a topic")), *topic_choices(policy, lang, plan)]
        if plan is not None:
            topic_field.not_offered = frozenset(policy.request_types) - set(plan.request_types)
        priority_field = cast(forms.ChoiceField, self.fields["priority"])
        priority_field.choices = [(p.id, p.name.get(lang)) for p in policy.priorities.values()]
        priority_field.initial = policy.desk.default_priority
        # C15 definitions, shown beside the choice.
        self.priority_definitions = [
            (p.id, p.name.get(lang), p.definition.get(lang)) for p in policy.priorities.values()
        ]


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    attachments = MultipleFileField(label=_("Attachments"))
    once_key = once_key_field()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not (cleaned.get("text") or "").strip() and not cleaned.get("attachments"):
            raise forms.ValidationError(gettext("Write a reply or attach a file."))
        return cleaned


class MeetingForm(forms.Form):
    reason = forms.CharField(
        label=_("Why would a call help?"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    once_key = once_key_field()


class PeopleForm(forms.Form):
    """The requester copies a colleague of their organisation on the ticket, or stops copying one."""

    email = forms.EmailField(label=_("Copy a colleague (their sign-in email)"), max_length=254)
    remove = forms.BooleanField(required=False)


class RatingForm(forms.Form):
    """ "Were you satisfied?": good or bad, a comment, and (with bad) a request to reopen the ticket."""

    rating = forms.ChoiceField(
        label=_("Were you satisfied?"),
        choices=[("good", _("Good, I'm satisfied")), ("bad", _("Bad, I'm not satisfied"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose good or bad.")},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reopen = forms.BooleanField(label=_("I still need help: reopen my request"), required=False)
