from django.urls import path

from policydesk.portal import satisfaction_views, views, widget_articles

urlpatterns = [
    path("policy/", views.policy_page, name="policy-page"),
    path("signin/", views.signin_view, name="signin"),
    path("signin/link/", views.signin_link_request, name="signin-link-request"),
    path("signin/link/sent/", views.signin_link_sent, name="signin-link-sent"),
    path("signin/link/<str:token>/", views.signin_link, name="signin-link"),
    path("signout/", views.signout_view, name="signout"),
    path("tickets/", views.ticket_list, name="tickets"),
    path("tickets/new/", views.ticket_new, name="ticket-new"),
    path("tickets/<int:number>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:number>/reply/", views.ticket_reply, name="ticket-reply"),
    path("tickets/<int:number>/draft/", views.ticket_draft, name="ticket-draft"),
    path("tickets/<int:number>/people/", views.ticket_people, name="ticket-people"),
    path("tickets/<int:number>/meeting/", views.ticket_meeting, name="ticket-meeting"),
    path("tickets/<int:number>/solve/", satisfaction_views.ticket_solve, name="ticket-solve"),
    path("tickets/<int:number>/rate/", satisfaction_views.ticket_rate, name="ticket-rate"),
    path("satisfaction/<str:token>/", satisfaction_views.rate_link, name="rate-link"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("deflected/<int:pk>/", views.deflected, name="deflected"),
    path("widget/", views.widget_page, name="widget"),
    path("widget/suggest/", widget_articles.suggest, name="widget-suggest"),
    path("widget/answered/", widget_articles.answered, name="widget-answered"),
    path("widget.js", views.widget_script, name="widget-script"),
    path("widget/demo/", views.widget_demo, name="widget-demo"),
]
