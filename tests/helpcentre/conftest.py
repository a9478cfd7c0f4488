from __future__ import annotations

import pytest

from tests.conftest import Personas
from tests.helpcentre.sample import HelpCentre, build


@pytest.fixture
def help_centre(personas: Personas) -> HelpCentre:
    return build(personas)
