from django.urls import path

from policydesk.watch import views

app_name = "watch"
urlpatterns = [
    path("ack/<str:token>/", views.acknowledge_page, name="acknowledge"),
]
