"""The workbench's addresses, under /editor/ (namespace "editor")."""

from django.urls import path

from kb.editor import article_views, inbox_views, job_views, views

app_name = "editor"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("claims/<int:pk>/", views.claim_page, name="claim"),
    path("claims/<int:pk>/statement/", views.update_claim, name="update-claim"),
    path(
        "claims/<int:pk>/appearances/<int:appearance_pk>/overstated/",
        views.set_overstated,
        name="set-overstated",
    ),
    path(
        "claims/<int:pk>/appearances/<int:appearance_pk>/move/",
        views.move_appearance,
        name="move-appearance",
    ),
    path("claims/<int:pk>/studies/", views.find_study, name="find-study"),
    path("claims/<int:pk>/evidence/", views.add_evidence, name="add-evidence"),
    path(
        "claims/<int:pk>/evidence/<int:evidence_pk>/remove/",
        views.remove_evidence,
        name="remove-evidence",
    ),
    path("claims/<int:pk>/grading/", views.save_grading, name="grading"),
    path("claims/<int:pk>/override/", views.override_verdict, name="override"),
    path("claims/<int:pk>/graded/", views.mark_graded, name="mark-graded"),
    path("claims/<int:pk>/publish/", views.publish, name="publish"),
    path("claims/<int:pk>/unpublish/", views.unpublish, name="unpublish"),
    # Importing an article: the form, then a preview kept in the session until saved.
    path("articles/import/", article_views.import_form, name="article-import"),
    path("articles/import/preview/", article_views.start_preview, name="article-preview"),
    path("articles/import/review/", article_views.review, name="article-review"),
    path("articles/import/claims/<int:index>/", article_views.edit_claim, name="article-claim"),
    path(
        "articles/import/claims/<int:index>/remove/",
        article_views.remove_claim,
        name="article-claim-remove",
    ),
    path(
        "articles/import/claims/<int:index>/restore/",
        article_views.restore_claim,
        name="article-claim-restore",
    ),
    path("articles/import/save/", article_views.save, name="article-save"),
    path(
        "references/suggestions/<int:pk>/confirm/",
        article_views.confirm_reference,
        name="confirm-reference",
    ),
    path("articles/import/discard/", article_views.discard, name="article-discard"),
    # Background jobs: start, follow, retry.
    path("jobs/", job_views.job_list, name="jobs"),
    path("jobs/<int:pk>/", job_views.job_detail, name="job"),
    path("jobs/<int:pk>/retry/", job_views.retry_job, name="job-retry"),
    path("jobs/fetch/", job_views.start_bulk_fetch, name="bulk-fetch"),
    path("jobs/retractions/", job_views.start_retraction_check, name="check-retractions"),
    path("studies/<int:pk>/refetch/", job_views.refetch_study, name="refetch-study"),
    # New evidence found by the PubMed watch; each compound's watch and its followers.
    path("inbox/", inbox_views.inbox_page, name="inbox"),
    path("inbox/<int:pk>/weigh/", inbox_views.weigh, name="inbox-weigh"),
    path("inbox/<int:pk>/dismiss/", inbox_views.dismiss, name="inbox-dismiss"),
    path("compounds/<slug:slug>/watch/", inbox_views.watch, name="watch"),
    path("compounds/<slug:slug>/follow/", inbox_views.follow, name="follow"),
]
