"""Every page names the desk's icon, and the icon is there (issue 16: the first five minutes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.conftest import Personas


@pytest.mark.django_db
def test_pages_link_the_icon(client: Client, personas: Personas) -> None:
    link = '<link rel="icon" href="/static/policydesk/favicon.svg" type="image/svg+xml">'
    assert link in client.get("/policy/").content.decode()
    client.force_login(personas.agent)
    assert (
        link in client.get("/console/").content.decode()
        or link in client.get(client.get("/console/")["Location"]).content.decode()
    )
    found = finders.find("policydesk/favicon.svg")
    assert found and Path(found).read_text(encoding="utf-8").startswith("<svg")
