"""The public page carries every published fact of the policy, in both languages, escaped."""

from __future__ import annotations

from dataclasses import replace

import pytest

from policydesk.policy.model import Policy, Text
from policydesk.policy.render import render


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_plan_fact_is_on_the_page(policy: Policy, lang: str) -> None:
    page = render(policy, lang)
    for plan in policy.plans.values():
        assert plan.name.get(lang) in page
        assert plan.availability.get(lang) in page  # C2
        if plan.first_response:
            assert plan.first_response.text.get(lang) in page  # C3
        if plan.no_commitment_text:
            assert plan.no_commitment_text.get(lang) in page
        if plan.dedicated_team:
            assert plan.dedicated_team.get(lang) in page  # C4
        if plan.mission_critical:
            assert plan.mission_critical.first_response.text.get(lang) in page  # C6


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_hours_scope_channels_priorities_and_routes_are_on_the_page(policy: Policy, lang: str) -> None:
    page = render(policy, lang)
    facts = [
        *(office.hours_text.get(lang) for office in policy.offices.values()),  # C8
        *(region.name.get(lang) for region in policy.regions.values()),  # C9
        *(rt.name.get(lang) for rt in policy.request_types.values()),  # C11
        *(topic.name.get(lang) for topic in policy.out_of_scope.values()),  # C12
        *(text.get(lang) for text in policy.channel_texts.values()),  # C13
        *(p.definition.get(lang) for p in policy.priorities.values()),  # C15
        *(route.text.get(lang) for route in policy.routes.values() if route.kind != "community"),
        "https://community.example.com",  # C19
        "https://app.example.com/feedback",  # C18
        "global-sdr@example.com",
        "scholarship@example.com",  # C17
    ]
    missing = [fact for fact in facts if fact not in page]
    assert not missing


def test_meeting_column_follows_the_plans(policy: Policy) -> None:
    row = next(line for line in render(policy, "en").splitlines() if line.startswith("| Zoom/meeting"))
    cells = [cell.strip() for cell in row.strip("|").split("|")][1:]
    assert cells == [
        "-",
        "-",
        "-",
        "At support's discretion",
        "At support's discretion",
        "At support's discretion",
    ]


def test_policy_texts_are_escaped_in_html(policy: Policy) -> None:
    hostile = replace(policy, title=Text(en="<script>alert(1)</script>", ja="<img src=x onerror=alert(1)>"))
    assert "<script>" not in render(hostile, "en", "html")
    assert "&lt;script&gt;" in render(hostile, "en", "html")
    assert "<img" not in render(hostile, "ja", "html")


def test_unknown_language_is_refused(policy: Policy) -> None:
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        render(policy, "fr")
