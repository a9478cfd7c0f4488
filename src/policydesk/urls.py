from django.contrib import admin
from django.urls import path

from policydesk.portal import views as portal

urlpatterns = [
    path("", portal.home, name="home"),
    path("policy/", portal.policy_page, name="policy-page"),
    path("admin/", admin.site.urls),
]
