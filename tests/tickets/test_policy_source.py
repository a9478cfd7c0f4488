"""The desk's policy: configured by POLICYDESK_POLICY, reloaded on change, checked at start-up."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from policydesk.desk_policy import get_policy
from policydesk.policy.loading import PolicyError, default_policy_path


def test_default_policy_is_the_bundled_one() -> None:
    assert get_policy().id == "example-analytics"


def test_an_edited_policy_file_is_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    text = default_policy_path().read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    with override_settings(POLICYDESK_POLICY=str(path)):
        assert get_policy().version == "2026-11-26"
        path.write_text(text.replace('version = "2026-11-26"', 'version = "2027-01-01"'), encoding="utf-8")
        os.utime(path, ns=(0, path.stat().st_mtime_ns + 1_000_000_000))
        assert get_policy().version == "2027-01-01"


def test_a_broken_policy_file_is_refused_not_half_used(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("format = 1\n", encoding="utf-8")
    with override_settings(POLICYDESK_POLICY=str(path)), pytest.raises(PolicyError):
        get_policy()


def test_system_check_e001_reports_an_invalid_policy(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    text = default_policy_path().read_text(encoding="utf-8").replace('zone = "UTC+08:00"', 'zone = "Nowhere"')
    path.write_text(text, encoding="utf-8")
    with (
        override_settings(POLICYDESK_POLICY=str(path)),
        pytest.raises(SystemCheckError, match=r"policydesk\.E001"),
    ):
        call_command("check")
