from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from studies.models import Study


@admin.register(Study)
class StudyAdmin(SimpleHistoryAdmin):
    list_display = ["title", "year", "pmid", "doi", "design", "design_source", "retracted"]
    list_filter = ["design", "design_source", "retracted", "kind"]
    search_fields = ["title", "pmid", "doi", "journal"]
