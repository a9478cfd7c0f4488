"""The desk's URLs: the one module that knows every face, and mounts them (the layers are the
import-linter contracts in pyproject.toml)."""

from django.contrib import admin
from django.urls import include, path

from policydesk.api.urls import api_patterns
from policydesk.api.v1 import build_api
from policydesk.portal.forms import LimitedAdminAuthenticationForm
from policydesk.status.api import router as status_api_router

# The admin's login counts wrong passwords like every other password form (portal/signin.py).
admin.site.login_form = LimitedAdminAuthenticationForm

api_v1 = build_api(status_api_router)

# The error pages of the site, in the person's language (web/errors.py).
handler400 = "policydesk.web.errors.bad_request"
handler403 = "policydesk.web.errors.permission_denied"
handler404 = "policydesk.web.errors.page_not_found"
handler500 = "policydesk.web.errors.server_error"

urlpatterns = [
    # The API first: its requests come fastest, and the empty prefixes below are each tried in
    # turn before a later pattern is (issue 17). No pattern below starts with its prefix.
    path("api/v1/", include((api_patterns(api_v1), "api"))),
    path("", include("policydesk.ops.urls")),  # /healthz, /readyz for load balancers
    path("", include("policydesk.metrics.urls")),  # /metrics for Prometheus
    path("", include("policydesk.helpcentre.urls")),  # `/` is the help centre's home
    path("", include("policydesk.portal.urls")),
    path("console/reports/", include("policydesk.reports.urls")),
    path("console/", include("policydesk.console.urls")),
    path("status/", include("policydesk.status.urls")),
    path("watch/", include("policydesk.watch.urls")),
    path("admin/", admin.site.urls),
]
