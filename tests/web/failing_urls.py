"""The desk's URLs with views that fail, for the error pages' tests (ROOT_URLCONF)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path

from policydesk.urls import handler400, handler403, handler404, handler500
from policydesk.urls import urlpatterns as desk_patterns


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("a strange request")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


urlpatterns = [
    path("tickets/1/broken/", broken),
    path("suspicious/", suspicious),
    path("forbidden/", forbidden),
    *desk_patterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
