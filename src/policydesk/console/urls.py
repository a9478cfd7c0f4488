from django.urls import path

from policydesk.console import macro_views, views

app_name = "console"
urlpatterns = [
    path("", views.index, name="index"),
    path("overview/", views.overview, name="overview"),
    path("profile/", views.profile, name="profile"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/count/", views.notifications_count, name="notifications-count"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path("queues/<slug:slug>/", views.queue, name="queue"),
    path("tickets/new/", views.ticket_new, name="ticket-new"),
    path("tickets/<int:number>/", views.ticket_view, name="ticket"),
    path("tickets/<int:number>/compose/", views.compose, name="compose"),
    path("tickets/<int:number>/preview/", views.preview, name="preview"),
    path("tickets/<int:number>/explain/", views.explain, name="explain"),
    path("tickets/<int:number>/next/", views.step, {"direction": "next"}, name="next"),
    path("tickets/<int:number>/previous/", views.step, {"direction": "previous"}, name="previous"),
    path("tickets/<int:number>/reply/", views.reply, name="reply"),
    path("tickets/<int:number>/note/", views.note, name="note"),
    path("tickets/<int:number>/assign/", views.assign, name="assign"),
    path("tickets/<int:number>/status/", views.set_status, name="status"),
    path("tickets/<int:number>/priority/", views.set_priority, name="priority"),
    path("tickets/<int:number>/deflect/", views.deflect, name="deflect"),
    path("tickets/<int:number>/request-type/", views.change_request_type, name="request-type"),
    path("tickets/<int:number>/presence/", views.presence, name="presence"),
    path("tickets/<int:number>/draft/", views.draft, name="draft"),
    path("tickets/<int:number>/macros/", macro_views.pick, name="macro-pick"),
    path("tickets/<int:number>/macros/<int:macro_id>/apply/", macro_views.apply, name="macro-apply"),
    path("macros/", macro_views.macro_list, name="macros"),
    path("macros/new/", macro_views.macro_edit, name="macro-new"),
    path("macros/<int:macro_id>/", macro_views.macro_edit, name="macro-edit"),
    path("macros/<int:macro_id>/delete/", macro_views.macro_delete, name="macro-delete"),
    path("tickets/<int:number>/meetings/<int:meeting>/decide/", views.decide_meeting, name="decide-meeting"),
]
