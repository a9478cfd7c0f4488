"""Help-centre articles in the in-product widget: suggested as the customer types (the portal's
suggestion service, both languages, the customer's first), "This answered my question" counted
by article, within the widget's security model (signed session, no cookie needed, framing)."""

from __future__ import annotations

import pytest
from django.test import Client

from policydesk.helpcentre.models import ArticleCount
from policydesk.tickets.models import AuditEvent, Deflection, Ticket
from tests.conftest import Personas
from tests.helpcentre.sample import HelpCentre, build
from tests.portal.conftest import PRODUCT_ORIGIN, set_profile
from tests.portal.test_widget import open_widget, token_for


@pytest.fixture
def help_centre(personas: Personas) -> HelpCentre:
    return build(personas)


def widget_session(personas: Personas) -> str:
    return str(open_widget(Client(), token_for()).context["widget_session"])


def test_the_widget_form_asks_for_suggestions_with_its_session(
    personas: Personas, help_centre: HelpCentre
) -> None:
    body = open_widget(Client(), token_for()).content.decode()
    assert 'hx-post="/widget/suggest/"' in body and "#widget-session" in body
    assert 'action="/widget/answered/"' in body and 'id="help-answered"' in body


@pytest.mark.parametrize(("lang", "first"), [("en", "When charts are empty"), ("ja", "グラフが空になる場合")])
def test_suggestions_in_both_languages_the_customers_first(
    personas: Personas, help_centre: HelpCentre, lang: str, first: str
) -> None:
    set_profile(personas.customer, language=lang)
    session = widget_session(personas)
    client = Client(enforce_csrf_checks=True)  # no cookie, no CSRF token: the session is enough
    body = client.post("/widget/suggest/", {"widget_session": session, "subject": "empty charts グラフ"})
    text = body.content.decode()
    assert body.status_code == 200 and body["Cache-Control"] == "private, no-store"
    assert "When charts are empty" in text and "グラフが空になる場合" in text
    other = "グラフが空になる場合" if lang == "en" else "When charts are empty"
    assert text.index(first) < text.index(other)
    assert 'target="_blank"' in text  # the help centre's pages are never framed


def test_suggestions_keep_to_what_the_customer_may_read(personas: Personas, help_centre: HelpCentre) -> None:
    body = Client().post(
        "/widget/suggest/", {"widget_session": widget_session(personas), "subject": "single sign-on"}
    )
    assert "Single sign-on" not in body.content.decode()


def test_suggestions_need_a_valid_widget_session(personas: Personas, help_centre: HelpCentre) -> None:
    assert (
        Client().post("/widget/suggest/", {"widget_session": "forged", "subject": "charts"}).status_code
        == 403
    )
    assert Client().get("/widget/suggest/", {"subject": "charts"}).status_code == 405


def test_this_answered_my_question_in_the_widget_counts_by_article(
    personas: Personas, help_centre: HelpCentre
) -> None:
    events = AuditEvent.objects.count()
    response = Client(enforce_csrf_checks=True).post(
        "/widget/answered/",
        {"widget_session": widget_session(personas), "article": help_centre.english.pk, "subject": "secret"},
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="widget-answered"' in body
    assert f"frame-ancestors {PRODUCT_ORIGIN}" in response["Content-Security-Policy"].split("; ")
    assert ArticleCount.objects.get(article=help_centre.english).deflections == 1
    assert not Ticket.objects.exists() and not Deflection.objects.exists()
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("article", ["draft", "enterprise_only", "junk"])
def test_an_article_the_customer_may_not_read_counts_nothing(
    personas: Personas, help_centre: HelpCentre, article: str
) -> None:
    wanted = "x1" if article == "junk" else getattr(help_centre, article).pk
    response = Client().post(
        "/widget/answered/", {"widget_session": widget_session(personas), "article": wanted}
    )
    assert response.status_code == 404 and not ArticleCount.objects.filter(deflections__gt=0).exists()


def test_answered_needs_a_valid_widget_session(personas: Personas, help_centre: HelpCentre) -> None:
    response = Client().post(
        "/widget/answered/", {"widget_session": "forged", "article": help_centre.english.pk}
    )
    assert response.status_code == 403 and not ArticleCount.objects.exists()
