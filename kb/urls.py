from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path
from django.views.decorators.http import require_safe

from kb import api, api_v1, exports, feeds, health, search, views
from kb.editor import views as editor_views
from kb.sitemaps import SITEMAPS

urlpatterns = [
    path("", views.home, name="home"),
    path("compounds/<slug:slug>/", views.compound_detail, name="compound"),
    path("claims/<int:pk>/", views.claim_detail, name="claim"),
    path("claims/<int:pk>/history/", editor_views.claim_history_page, name="claim-history"),
    path("studies/<int:pk>/", views.study_detail, name="study"),
    path("sources/<int:pk>/", views.source_detail, name="source"),
    path("methodology/", views.methodology, name="methodology"),
    path("changes/", views.changes, name="changes"),
    # Feeds and the sitemap read only: anything but GET and HEAD is refused (405).
    path("changes/feed/", require_safe(feeds.VerdictChangesFeed()), name="changes-feed"),
    path("compounds/<slug:slug>/changes/", views.changes, name="compound-changes"),
    path(
        "compounds/<slug:slug>/changes/feed/",
        require_safe(feeds.VerdictChangesFeed()),
        name="compound-changes-feed",
    ),
    path(
        "sitemap.xml", require_safe(sitemap_views.sitemap), {"sitemaps": SITEMAPS}, name="sitemap"
    ),
    path("robots.txt", views.robots_txt, name="robots"),
    path("data/", views.data, name="data"),
    path("data/<str:name>", views.data_file, name="data-file"),
    path("api/compounds/<slug:slug>/", api.compound, name="api-compound"),
    path("api/v1/", api_v1.index, name="api-v1-index"),
    path("api/v1/", api_v1.urls()),
    path("search/", search.search_page, name="search"),
    path("compounds/<slug:slug>/claims.csv", exports.compound_claims_csv, name="claims-csv"),
    path("compounds/<slug:slug>/claims.json", exports.compound_claims_json, name="claims-json"),
    path("compounds/<slug:slug>/studies.<str:fmt>", exports.compound_studies, name="studies-cite"),
    path("studies/<int:pk>/cite.<str:fmt>", exports.study_citation, name="study-cite"),
    path("editor/", include("kb.editor.urls")),
    # Sign-in, sign-out and password change; no password reset by email (no mail is configured:
    # an administrator resets passwords in the admin).
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
]
