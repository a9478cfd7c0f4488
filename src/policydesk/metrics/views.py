"""`/metrics`: for the Prometheus server only. Allowed with `Authorization: Bearer <token>`
(`POLICYDESK_METRICS_TOKEN`) or from an address in `POLICYDESK_METRICS_ALLOW` (CIDRs; the
connecting address, so behind a proxy use the token); anyone else gets 404, as for a page that
does not exist."""

from __future__ import annotations

import hmac
import ipaddress
import os

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from policydesk.metrics.collector import DeskCollector

DESK = CollectorRegistry(auto_describe=False)
DESK.register(DeskCollector())


def _process_figures() -> CollectorRegistry:
    """This process's figures; under `policydesk serve`, those of all its workers together."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def allowed(request: HttpRequest) -> bool:
    token = settings.POLICYDESK_METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(allowed, strict=False)
        for allowed in settings.POLICYDESK_METRICS_ALLOW
    )


@require_safe
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        raise Http404
    body = generate_latest(_process_figures()) + generate_latest(DESK)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
