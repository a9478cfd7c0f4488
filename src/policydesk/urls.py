from django.contrib import admin
from django.urls import include, path

from policydesk.portal.forms import LimitedAdminAuthenticationForm

# The admin's login counts wrong passwords like every other password form (portal/signin.py).
admin.site.login_form = LimitedAdminAuthenticationForm

urlpatterns = [
    path("", include("policydesk.portal.urls")),
    path("console/reports/", include("policydesk.reports.urls")),
    path("console/", include("policydesk.console.urls")),
    path("status/", include("policydesk.status.urls")),
    path("watch/", include("policydesk.watch.urls")),
    path("api/v1/", include("policydesk.api.urls")),
    path("admin/", admin.site.urls),
]
