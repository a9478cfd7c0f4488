from django.urls import path

from policydesk.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>.csv", views.export_csv, name="csv"),
]
