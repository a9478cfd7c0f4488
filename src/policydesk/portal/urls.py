from django.urls import path

from policydesk.portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("policy/", views.policy_page, name="policy-page"),
]
