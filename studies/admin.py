from django.contrib import admin
from django.db import transaction
from simple_history.admin import SimpleHistoryAdmin

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
            watched = WATCHED_FIELDS.intersection(form.changed_data)
            if change and watched:
                study_changed.send(sender=Study, study=obj, fields=watched, user=request.user)
