from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kb.models import Citation, Claim, Compound, Evidence, Reference, Source


@admin.register(Compound)
class CompoundAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]


class ReferenceInline(admin.TabularInline):
    model = Reference
    extra = 0
    autocomplete_fields = ["study"]


@admin.register(Source)
class SourceAdmin(SimpleHistoryAdmin):
    list_display = ["title", "publisher", "author", "published_on"]
    search_fields = ["title", "publisher", "author", "url"]
    inlines = [ReferenceInline]


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    autocomplete_fields = ["study"]
    fields = ["study", "stance", "cited_by_source", "indirectness", "harm", "note"]


class CitationInline(admin.TabularInline):
    model = Citation
    extra = 0
    autocomplete_fields = ["reference"]


@admin.register(Claim)
class ClaimAdmin(SimpleHistoryAdmin):
    list_display = ["id", "compound", "kind", "status", "verdict", "certainty", "short_quote"]
    list_filter = ["compound", "status", "kind", "verdict", "certainty"]
    search_fields = ["quote", "statement"]
    readonly_fields = ["computed_verdict", "verdict", "certainty", "flags", "version"]
    inlines = [CitationInline, EvidenceInline]
    fieldsets = [
        (None, {"fields": ["compound", "source", "position", "quote", "statement", "kind"]}),
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

    @admin.display(description="Quote")
    def short_quote(self, obj):
        return obj.quote[:80]


@admin.register(Evidence)
class EvidenceAdmin(SimpleHistoryAdmin):
    list_display = ["claim", "study", "stance", "cited_by_source", "harm"]
    list_filter = ["stance", "cited_by_source", "harm"]
    autocomplete_fields = ["claim", "study"]


@admin.register(Reference)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ["source", "number", "doi", "pmid", "study"]
    search_fields = ["text", "doi", "pmid"]
    autocomplete_fields = ["study"]


@admin.register(Citation)
class CitationAdmin(admin.ModelAdmin):
    list_display = ["claim", "reference"]
    autocomplete_fields = ["claim", "reference"]
