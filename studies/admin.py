from django.contrib import admin
from django.db import transaction
from simple_history.admin import SimpleHistoryAdmin

from studies import content_version
from studies.models import Study
from studies.signals import WATCHED_FIELDS, study_changed


@admin.register(Study)
class StudyAdmin(SimpleHistoryAdmin):
    list_display = ["title", "year", "pmid", "doi", "design", "design_source", "retracted"]
    list_filter = ["design", "design_source", "retracted", "kind"]
    search_fields = ["title", "pmid", "doi", "journal"]

    def save_model(self, request, obj, form, change):
        # An administrator is a writer too: claims graded by this study must follow its design.
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            content_version.bump()
            watched = WATCHED_FIELDS.intersection(form.changed_data)
            if change and watched:
                study_changed.send(sender=Study, study=obj, fields=watched, user=request.user)

    def delete_model(self, request, obj):
        with transaction.atomic():
            super().delete_model(request, obj)
            content_version.bump()

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            content_version.bump()
