from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kb.models import (
    Appearance,
    Citation,
    Claim,
    Compound,
    Evidence,
    Reference,
    Source,
    SourceConflict,
    Topic,
)
from kb.services import grades
from studies import content_version


class BumpsContentVersion:
    """An administrator's change is a change to public content: the pages' caches follow it
    (studies.content_version; the admin saves and deletes inside one transaction)."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        content_version.bump()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        content_version.bump()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        content_version.bump()


class RegradeAfterSaving:
    """An administrator's change to a claim, its evidence or a sentence's citations is graded
    as the workbench's are: once everything in the form is saved."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        claim = form.instance if isinstance(form.instance, Claim) else form.instance.claim
        claim.refresh_from_db()
        claim.version += 1  # a workbench page opened before this change is now stale
        grades.regrade(claim, user=request.user, reason="Changed in the admin")


@admin.register(Compound)
class CompoundAdmin(BumpsContentVersion, SimpleHistoryAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]


class ReferenceInline(admin.TabularInline):
    model = Reference
    extra = 0
    autocomplete_fields = ["study"]


class SourceConflictInline(admin.TabularInline):
    model = SourceConflict
    extra = 0
    fields = ["kind", "text", "position"]


@admin.register(Source)
class SourceAdmin(BumpsContentVersion, SimpleHistoryAdmin):
    list_display = ["title", "publisher", "author", "published_on"]
    search_fields = ["title", "publisher", "author", "url"]
    inlines = [SourceConflictInline, ReferenceInline]


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    autocomplete_fields = ["study"]
    fields = ["study", "stance", "indirectness", "harm", "note"]


class AppearanceInline(admin.TabularInline):
    model = Appearance
    extra = 0
    autocomplete_fields = ["source"]
    fields = ["source", "position", "quote", "overstated", "flags", "seen_at"]
    readonly_fields = ["flags"]


class CitationInline(admin.TabularInline):
    model = Citation
    extra = 0
    autocomplete_fields = ["reference"]


@admin.register(Topic)
class TopicAdmin(BumpsContentVersion, admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Claim)
class ClaimAdmin(RegradeAfterSaving, BumpsContentVersion, SimpleHistoryAdmin):
    list_display = ["id", "compound", "topic", "kind", "status", "verdict", "short_statement"]
    list_filter = ["compound", "topic", "status", "kind", "verdict", "certainty"]
    search_fields = ["statement", "appearances__quote"]
    readonly_fields = ["computed_verdict", "verdict", "certainty", "flags", "version"]
    inlines = [AppearanceInline, EvidenceInline]
    fieldsets = [
        (None, {"fields": ["compound", "statement", "kind", "topic"]}),
        ("Population and outcome", {"fields": ["population", "outcome"]}),
        ("Status", {"fields": ["status", "graded_by", "graded_at", "version"]}),
        (
            "Grade (derived)",
            {"fields": ["computed_verdict", "verdict", "certainty", "flags", "editor_flags"]},
        ),
        (
            "GRADE judgements",
            {
                "fields": [
                    ("risk_of_bias", "risk_of_bias_reason"),
                    ("inconsistency", "inconsistency_reason"),
                    ("indirectness", "indirectness_reason"),
                    ("imprecision", "imprecision_reason"),
                    ("publication_bias", "publication_bias_reason"),
                    ("large_effect", "large_effect_reason"),
                    ("dose_response", "dose_response_reason"),
                ]
            },
        ),
        ("Override", {"fields": ["verdict_override", "override_rationale", "rationale"]}),
    ]

    @admin.display(description="Statement")
    def short_statement(self, obj):
        return obj.statement[:80]


@admin.register(Evidence)
class EvidenceAdmin(RegradeAfterSaving, BumpsContentVersion, SimpleHistoryAdmin):
    list_display = ["claim", "study", "stance", "harm"]
    list_filter = ["stance", "harm"]
    autocomplete_fields = ["claim", "study"]


@admin.register(Reference)
class ReferenceAdmin(BumpsContentVersion, admin.ModelAdmin):
    list_display = ["source", "number", "doi", "pmid", "study"]
    search_fields = ["text", "doi", "pmid"]
    autocomplete_fields = ["study"]


@admin.register(Appearance)
class AppearanceAdmin(RegradeAfterSaving, BumpsContentVersion, SimpleHistoryAdmin):
    list_display = ["id", "claim", "source", "position", "overstated"]
    list_filter = ["overstated", "source"]
    search_fields = ["quote"]
    autocomplete_fields = ["claim", "source"]
    readonly_fields = ["flags"]
    inlines = [CitationInline]


@admin.register(Citation)
class CitationAdmin(BumpsContentVersion, admin.ModelAdmin):
    list_display = ["appearance", "reference"]
    autocomplete_fields = ["appearance", "reference"]
