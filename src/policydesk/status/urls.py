from django.urls import path

from policydesk.status import views

app_name = "status"
urlpatterns = [
    path("", views.page, name="page"),
    path("incidents/<int:pk>/", views.incident, name="incident"),
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/confirm/<str:token>/", views.confirm, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("manage/", views.manage, name="manage"),
    path("manage/incidents/", views.open_incident, name="open-incident"),
    path("manage/incidents/<int:pk>/updates/", views.post_update, name="post-update"),
    path("manage/incidents/<int:pk>/tickets/", views.link_ticket, name="link-ticket"),
    path("manage/components/", views.create_component, name="create-component"),
]
