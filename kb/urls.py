from django.contrib import admin
from django.urls import path

from kb import api, views

urlpatterns = [
    path("", views.home, name="home"),
    path("compounds/<slug:slug>/", views.compound_detail, name="compound"),
    path("claims/<int:pk>/", views.claim_detail, name="claim"),
    path("studies/<int:pk>/", views.study_detail, name="study"),
    path("sources/<int:pk>/", views.source_detail, name="source"),
    path("methodology/", views.methodology, name="methodology"),
    path("api/compounds/<slug:slug>/", api.compound, name="api-compound"),
    path("admin/", admin.site.urls),
]
