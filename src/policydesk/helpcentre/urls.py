from django.urls import path

from policydesk.helpcentre import views

urlpatterns = [
    path("", views.home, name="home"),
    path("help/search/", views.search, name="help-search"),
    path("help/suggest/", views.suggest, name="help-suggest"),
    path("help/answered/", views.answered, name="help-answered"),
    path("help/<str:lang>/categories/<slug:slug>/", views.category_page, name="help-category"),
    path("help/<str:lang>/sections/<slug:slug>/", views.section_page, name="help-section"),
    path("help/<str:lang>/articles/<slug:slug>/", views.article_page, name="help-article"),
]
