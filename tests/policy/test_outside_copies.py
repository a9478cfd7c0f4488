"""`[outside_copies]` (issue 13): whether tickets may copy addresses that sign in nowhere, from
which domains, how many; off in the seed policy (C14 names no one else), on in Nordlicht's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from policydesk.policy.loading import load_policy
from policydesk.policy.model import OutsideCopies
from tests.policy.test_validation import Document, default_document, errors_for, to_toml

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "nordlicht.toml"


def test_the_seed_policy_allows_no_outside_copies() -> None:
    copies = load_policy().outside_copies
    assert copies == OutsideCopies(allowed=False, domains=(), max_per_ticket=10)
    assert not copies.permits("consultant@partner.example")


def test_nordlicht_allows_its_listed_domains_and_their_subdomains_only() -> None:
    copies = load_policy(EXAMPLE).outside_copies
    assert copies.allowed and copies.max_per_ticket == 5
    assert copies.permits("anna@berater.example")
    assert copies.permits("ben@muenchen.agentur.example")
    assert not copies.permits("eve@notberater.example")  # a suffix is not a subdomain
    assert not copies.permits("eve@berater.example.evil")


def test_a_policy_that_says_nothing_allows_none(tmp_path: Path) -> None:
    document = default_document()
    del document["outside_copies"]
    path = tmp_path / "policy.toml"
    path.write_text(to_toml(document), encoding="utf-8")
    assert load_policy(path).outside_copies == OutsideCopies()


def test_allowed_without_domains_permits_any_domain(tmp_path: Path) -> None:
    document = default_document()
    document["outside_copies"] = {"allowed": True, "max_per_ticket": 3}
    path = tmp_path / "policy.toml"
    path.write_text(to_toml(document), encoding="utf-8")
    copies = load_policy(path).outside_copies
    assert copies.permits("someone@anywhere.example") and copies.max_per_ticket == 3


def _copies(value: Any) -> Callable[[Document], None]:
    return lambda document: document.update(outside_copies=value)


BROKEN = [
    ("not a table", _copies("yes"), "outside_copies: expected a table, got a string"),
    ("allowed not a boolean", _copies({"allowed": "yes"}), "outside_copies.allowed: expected true or false"),
    ("misspelt key", _copies({"allowed": True, "domain": ["a.example"]}),
     "outside_copies.domain: unknown key; expected one of allowed, domains, max_per_ticket"),
    ("domains not a list", _copies({"allowed": True, "domains": "a.example"}),
     "outside_copies.domains: expected a list of strings"),
    ("an address for a domain", _copies({"allowed": True, "domains": ["me@a.example"]}),
     "outside_copies.domains[0]: 'me@a.example' is not a mail domain"),
    ("a wildcard", _copies({"allowed": True, "domains": ["*.a.example"]}),
     "outside_copies.domains[0]: '*.a.example' is not a mail domain"),
    ("upper case", _copies({"allowed": True, "domains": ["A.example"]}),
     "outside_copies.domains[0]: 'A.example' is not a mail domain"),
    ("a domain twice", _copies({"allowed": True, "domains": ["a.example", "a.example"]}),
     "outside_copies.domains[1]: 'a.example' is listed twice"),
    ("domains while off", _copies({"allowed": False, "domains": ["a.example"]}),
     "outside_copies.domains: names domains, but outside copies are off; add allowed = true"),
    ("zero a ticket", _copies({"allowed": True, "max_per_ticket": 0}),
     "outside_copies.max_per_ticket: expected a whole number from 1 to 50, got 0"),
    ("too many a ticket", _copies({"allowed": True, "max_per_ticket": 5000}),
     "outside_copies.max_per_ticket: expected a whole number from 1 to 50, got 5000"),
    ("a boolean for a number", _copies({"allowed": True, "max_per_ticket": True}),
     "outside_copies.max_per_ticket: expected a whole number from 1 to 50, got True"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN])
def test_a_broken_outside_copies_table_names_key_path_and_expectation(
    tmp_path: Path, change: Callable[[Document], None], expected: str
) -> None:
    errors = errors_for(tmp_path, change)
    assert any(error.startswith(expected) for error in errors), errors
