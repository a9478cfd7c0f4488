"""The public pages of the help center."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from policydesk.desk_policy import get_policy
from policydesk.policy import render as policy_render


@require_GET
@vary_on_headers("Accept-Language")
def policy_page(request: HttpRequest) -> HttpResponse:
    """The published support policy, generated from the enforced one (?lang= or Accept-Language)."""
    lang = request.GET.get("lang")
    if lang not in ("en", "ja"):
        lang = "ja" if translation.get_language_from_request(request).startswith("ja") else "en"
    policy = get_policy()
    with translation.override(lang):
        # The fragment is built with html.escape on every policy text (policy/render.py).
        body = mark_safe(policy_render.render(policy, lang, "html"))  # noqa: S308
        response = render(
            request,
            "portal/policy.html",
            {"body": body, "lang": lang, "title": policy.title.get(lang), "policy": policy},
        )
    response["Content-Language"] = lang
    return response


def home(request: HttpRequest) -> HttpResponse:
    return redirect("policy-page")
