from __future__ import annotations

import pytest

from policydesk.policy.loading import load_policy
from policydesk.policy.model import Policy


@pytest.fixture(scope="session")
def policy() -> Policy:
    """The bundled default policy (Example Analytics, the seed policy)."""
    return load_policy()
