"""Queries compiled once (`policydesk.compiled_queries`): the same rows as the ORM gives, run after run."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from policydesk.compiled_queries import CompiledQuery
from policydesk.tickets.models import Organisation, Person, email_is
from tests.conftest import Personas

PERSON = CompiledQuery(
    lambda address: Person.objects.filter(email_is(address)).select_related("organisation").order_by("pk"),
    address=str,
)
ORGANISATION_NAME = CompiledQuery(
    lambda pk: Organisation.objects.filter(pk=pk).values_list("name", "plan"), pk=int
)


def test_model_rows_are_the_orms_with_the_foreign_key_loaded(personas: Personas) -> None:
    for person in (personas.customer, personas.admin):  # with an organisation, and without
        found = PERSON.first(address=person.email.upper())
        expected = Person.objects.select_related("organisation").get(pk=person.pk)
        assert found == expected and type(found) is Person and not found._state.adding
        fields = [field.attname for field in Person._meta.concrete_fields]
        assert [getattr(found, f) for f in fields] == [getattr(expected, f) for f in fields]
        with CaptureQueriesContext(connection) as queries:
            assert found.organisation == expected.organisation  # loaded with it: no query
        assert not queries.captured_queries
    assert PERSON.first(address="nobody@example.com") is None


def test_values_rows_are_tuples_and_each_run_takes_its_own_parameters(personas: Personas) -> None:
    organisation = personas.customer.organisation
    assert organisation is not None
    assert ORGANISATION_NAME.rows(pk=organisation.pk) == [(organisation.name, organisation.plan)]
    assert ORGANISATION_NAME.rows(pk=-1) == []
    with CaptureQueriesContext(connection) as queries:
        ORGANISATION_NAME.rows(pk=organisation.pk)
    assert len(queries.captured_queries) == 1  # counted as any statement


def test_a_parameter_that_is_not_one_placeholder_is_refused(personas: Personas) -> None:
    twice = CompiledQuery(lambda name: Organisation.objects.filter(name=name, plan=name), name=str)
    with pytest.raises(ValueError, match="parameter name"):
        twice.rows(name="x")
