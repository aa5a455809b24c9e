from django.contrib import admin
from django.urls import include, path

from kb import api, views
from kb.editor import views as editor_views

urlpatterns = [
    path("", views.home, name="home"),
    path("compounds/<slug:slug>/", views.compound_detail, name="compound"),
    path("claims/<int:pk>/", views.claim_detail, name="claim"),
    path("claims/<int:pk>/history/", editor_views.claim_history_page, name="claim-history"),
    path("studies/<int:pk>/", views.study_detail, name="study"),
    path("sources/<int:pk>/", views.source_detail, name="source"),
    path("methodology/", views.methodology, name="methodology"),
    path("api/compounds/<slug:slug>/", api.compound, name="api-compound"),
    path("editor/", include("kb.editor.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
