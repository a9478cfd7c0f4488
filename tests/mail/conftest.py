"""Helpers for the email channel's tests: literal RFC 5322 messages and the public corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import NOW

# In CI the repository is cloned somewhere with shared/ beside it: resolve from the repo root
# (a worktree elsewhere names it with POLICYDESK_TEST_CORPUS).
CORPUS = Path(
    os.environ.get("POLICYDESK_TEST_CORPUS")
    or Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "email"
)


def rfc5322(text: str) -> bytes:
    """A literal message written in a test, with CRLF line ends as on the wire."""
    return text.lstrip("\n").replace("\n", "\r\n").encode("utf-8")


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name not in ("README.md", "LICENSE"))


@pytest.fixture(autouse=True)
def _batches_by_count_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of stored mail are cut by count and size only (unless a test gives a time): the
    default time budget would make a test depend on how busy the machine is."""
    from policydesk.mail import ingest

    monkeypatch.setattr(ingest, "BATCH_SECONDS", 3600.0)


@pytest.fixture
def mail_settings(settings: object) -> object:
    settings.POLICYDESK_MAIL_DOMAIN = "example.com"  # type: ignore[attr-defined]
    settings.POLICYDESK_MAIL_RATE_LIMIT = (10, 3600)  # type: ignore[attr-defined]
    return settings


__all__ = ["CORPUS", "NOW", "corpus_files", "rfc5322"]
