"""A study: the bibliographic record behind every grade."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import Lower, Upper
from django.urls import reverse
from simple_history.models import HistoricalRecords

from studies import limits
from studies.designs import LEVEL_LABELS, Design, DesignSource, level
from studies.identifiers import normalise_doi
from studies.records import RawFormat
from studies.text_search import StoredVector, field_vector, names_vector, word_pairs

# What lists of studies never show: the raw record (tens of kilobytes each), the abstract
# (shown on the study's own page only) and the search vector (read by the database only). Lists
# defer them, so a page's memory does not grow with the size of the records behind it.
HEAVY_FIELDS = ("raw_record", "abstract", "search_vector")


def heavy_fields(prefix: str = "") -> list[str]:
    """HEAVY_FIELDS as seen through a relation, e.g. heavy_fields("study__")."""
    return [prefix + name for name in HEAVY_FIELDS]


def author_label(first_name: str | None, others: bool) -> str:
    """How a study's authors are named in a citation: "Family et al.", "Family" alone, a
    collective's name, or "Anonymous". From the first author's name (collective or family) and
    whether there are others, so a reader of many studies need not load every author list
    (kb.selectors.compound_overview reads both in SQL)."""
    name = first_name or "Anonymous"
    return f"{name} et al." if others else name


class StudyQuerySet(models.QuerySet):
    def without_heavy_fields(self):
        return self.defer(*HEAVY_FIELDS)

    def in_use(self):
        return self.filter(evidence__isnull=False).distinct()

    def by_identifier(self, *, pmids=(), dois=(), pmcids=()) -> dict[tuple[str, str], Study]:
        """The stored studies with any of these PMIDs, (normalised) DOIs or PMCIDs, keyed
        ("pmid", value), ("doi", value) and ("pmcid", value): the one way to find studies by
        identifier."""
        pmids, dois = {p for p in pmids if p}, {d for d in dois if d}
        pmcids = {p for p in pmcids if p}
        if not pmids and not dois and not pmcids:
            return {}
        found = {}
        wanted = models.Q(pmid__in=pmids) | models.Q(doi__in=dois) | models.Q(pmcid__in=pmcids)
        for study in self.filter(wanted):
            for name in ("pmid", "doi", "pmcid"):
                if getattr(study, name):
                    found[(name, getattr(study, name))] = study
        return found


# Links that tell a reader the record below is not the whole story (a retraction has its own,
# stronger banner from `retracted`).
NOTICE_LABELS = {
    "ErratumIn": "A correction (erratum) has been published for this study",
    "ExpressionOfConcernIn": "An expression of concern has been published about this study",
    "UpdateIn": "A newer version of this study has been published",
}


class Study(models.Model):
    class Kind(models.TextChoices):
        JOURNAL_ARTICLE = "journal_article", "Journal article"
        BOOK_CHAPTER = "book_chapter", "Book chapter"
        BOOK = "book", "Book"
        OTHER = "other", "Other"

    pmid = models.CharField("PMID", max_length=9, unique=True, null=True, blank=True)
    doi = models.CharField("DOI", max_length=255, unique=True, null=True, blank=True)
    # "" when PubMed Central has no copy; unique among those it has (study_pmcid_unique).
    pmcid = models.CharField("PMCID", max_length=20, blank=True)
    title = models.TextField(max_length=limits.TITLE)
    abstract = models.TextField(blank=True, max_length=limits.ABSTRACT)
    journal = models.CharField(max_length=500, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    volume = models.CharField(max_length=50, blank=True)
    issue = models.CharField(max_length=50, blank=True)
    pages = models.CharField(max_length=50, blank=True)
    # Each author: {"family", "given", "suffix", "collective", "orcid"}, in the record's order.
    authors = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=20, blank=True)
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.JOURNAL_ARTICLE)
    publication_types = models.JSONField(default=list, blank=True)
    mesh_terms = models.JSONField(default=list, blank=True)
    comments_corrections = models.JSONField(default=list, blank=True)
    design = models.CharField(max_length=20, choices=Design, null=True, blank=True)
    design_source = models.CharField(
        max_length=10, choices=DesignSource, default=DesignSource.SUGGESTED
    )
    retracted = models.BooleanField(default=False)
    # An editor's reading notes: never overwritten by a re-import.
    editor_notes = models.TextField(blank=True, max_length=limits.NOTE)
    raw_record = models.TextField(null=True, blank=True)
    raw_format = models.CharField(max_length=20, choices=RawFormat, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Searched through a GIN index (studies.text_search): title, authors, abstract, journal.
    search_vector = StoredVector(
        expression=field_vector("title", "A")
        + names_vector("authors", "B")
        + field_vector("abstract", "C")
        + field_vector("journal", "D"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    # The raw record (tens of kilobytes, kept as fetched and hidden from the change history) is
    # not copied into every history row: each import would write it twice. The search vector is
    # derived from fields the history keeps.
    history = HistoricalRecords(excluded_fields=["raw_record", "search_vector"])
    objects = StudyQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "studies"
        ordering = ["-year", "title"]
        indexes = [
            GinIndex(fields=["search_vector"], name="study_search"),
            # Quoted phrases: the rows holding a phrase's adjacent word pairs (text_search).
            GinIndex(word_pairs("search_vector"), name="study_search_pairs"),
            # The editors' study finder (icontains is UPPER(col) LIKE) and fuzzy titles.
            GinIndex(OpClass(Upper("title"), name="gin_trgm_ops"), name="study_title_trigram"),
            GinIndex(OpClass(Upper("journal"), name="gin_trgm_ops"), name="study_journal_trigram"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pmid__isnull=True) | models.Q(pmid__regex=r"^[1-9][0-9]{0,8}$"),
                name="study_pmid_digits",
            ),
            models.CheckConstraint(
                condition=models.Q(doi__isnull=True)
                | (models.Q(doi__startswith="10.") & models.Q(doi=Lower("doi"))),
                name="study_doi_normalised",
            ),
            models.UniqueConstraint(
                fields=["pmcid"], condition=~models.Q(pmcid=""), name="study_pmcid_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(pmcid="") | models.Q(pmcid__regex=r"^PMC[1-9][0-9]{0,8}$"),
                name="study_pmcid_normalised",
            ),
            models.CheckConstraint(
                condition=models.Q(design__isnull=True) | models.Q(design__in=Design.values),
                name="study_design_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(design_source__in=DesignSource.values),
                name="study_design_source_valid",
            ),
        ]

    def __str__(self):
        return f"{self.first_author_label} {self.year or 'n.d.'}: {self.title[:80]}"

    def save(self, *args, **kwargs):
        self.normalise_identifiers()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("study", args=[self.pk])

    def normalise_identifiers(self) -> None:
        """Store identifiers one way only, so that uniqueness means what it says (save() does
        it; bulk writers call it themselves)."""
        self.pmid = self.pmid.strip() if self.pmid and self.pmid.strip() else None
        self.doi = normalise_doi(self.doi) if self.doi and self.doi.strip() else None

    @property
    def level(self) -> int | None:
        return level(self.design)

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS.get(self.design, "?")

    @property
    def notices(self) -> list[dict]:
        """Errata, expressions of concern and updates published about this study (PubMed
        CommentsCorrections, Crossref updated-by): what its page shows as banners."""
        return [
            {**link, "label": NOTICE_LABELS[link.get("type")]}
            for link in self.comments_corrections
            if link.get("type") in NOTICE_LABELS
        ]

    @property
    def first_author_label(self) -> str:
        first = self.authors[0] if self.authors else {}
        return author_label(first.get("collective") or first.get("family"), len(self.authors) > 1)

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def pmc_url(self) -> str:
        return f"https://pmc.ncbi.nlm.nih.gov/articles/{self.pmcid}/" if self.pmcid else ""

    @property
    def pubmed_url(self) -> str:
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/" if self.pmid else ""


class JobKind(models.TextChoices):
    BULK_FETCH = "bulk_fetch", "Fetch studies by PMID or DOI"
    CHECK_RETRACTIONS = "check_retractions", "Check for retractions and corrections"
    REFETCH_STUDY = "refetch_study", "Re-fetch a study"
    IMPORT_ARTICLE = "import_article", "Import an article"
    WATCH = "watch", "Search PubMed for new studies"
    DIGEST = "digest", "Send the editors' e-mail digests"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Done"
    FAILED = "failed", "Failed"


class Job(models.Model):
    """One piece of long work run by a background task (django.tasks): what was asked, how far it
    got, what came of it. The task reads its job row to resume where a failed attempt stopped
    (`checkpoint`), so running it again never does the same work twice."""

    Kind = JobKind
    Status = JobStatus

    kind = models.CharField(max_length=30, choices=Kind)
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    # What was asked (identifiers, a study's id, a preview), as the task receives it.
    params = models.JSONField(default=dict, blank=True)
    # What a failed attempt finished already, for the next attempt to skip.
    checkpoint = models.JSONField(default=dict, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    step = models.CharField(max_length=200, blank=True)  # what it is doing now, in words
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)  # django.tasks' TaskResult id
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=JobKind.values), name="job_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=JobStatus.values), name="job_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(done__lte=models.F("total")), name="job_done_within_total"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


class RateLimitSlot(models.Model):
    """The next moment a request to a rate-limited service may start, shared by every process
    that talks to it (web servers, workers, commands): see studies.ratelimit."""

    service = models.CharField(max_length=40, primary_key=True)
    next_at = models.DateTimeField()

    def __str__(self):
        return f"{self.service}: next request at {self.next_at}"


class ContentVersion(models.Model):
    """One row: how many times public content has changed, and when it last did
    (studies.content_version)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    number = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="content_version_one_row")
        ]

    def __str__(self):
        return f"content version {self.number} ({self.changed_at:%Y-%m-%d %H:%M:%S})"
