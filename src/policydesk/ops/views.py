"""`/healthz`: the process answers (no database). `/readyz`: ready for traffic (`health.py`):
200 with every check, or 503 naming what failed. JSON, never cached, no sign-in: a load balancer
asks them. Neither says more than what is wrong (no paths, no versions of software)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from policydesk.ops.health import readiness


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_safe
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    checks = readiness(timezone.now())
    ready = all(check.ok for check in checks)
    body = {
        "ready": ready,
        "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in checks},
    }
    return JsonResponse(body, status=200 if ready else 503)
