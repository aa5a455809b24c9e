"""The knowledge base: compounds, the pages that make claims about them, the claims, and the
evidence linking each claim to studies."""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import MD5
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from kb import grading, roles
from kb.vocabulary import (
    Certainty,
    ClaimKind,
    ClaimStatus,
    ConflictKind,
    Flag,
    Indirectness,
    Judgement,
    ReferenceMatch,
    Stance,
    SuggestionService,
    Verdict,
)
from studies import limits
from studies.models import Study, heavy_fields
from studies.text_search import StoredVector, field_vector, json_vector


def stored_vector(expression) -> StoredVector:
    """A search document kept by the database (GIN-indexed; kb.search reads it)."""
    return StoredVector(expression=expression, output_field=SearchVectorField(), db_persist=True)


class Compound(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    aliases = models.JSONField(default=list, blank=True)
    summary = models.TextField(blank=True)
    regulatory_notes = models.TextField(blank=True)
    search_vector = stored_vector(field_vector("name", "A") + json_vector("aliases", "A"))

    history = HistoricalRecords(excluded_fields=["search_vector"])

    class Meta:
        ordering = ["name"]
        indexes = [GinIndex(fields=["search_vector"], name="compound_search")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("compound", args=[self.slug])


class SourceQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Every source for those who may see drafts; for everyone else only sources that make
        a published claim (source ids are sequential: a page of drafts must not be guessable)."""
        if user.has_perm(roles.SEE_DRAFTS):
            return self
        return self.filter(
            models.Exists(
                Appearance.objects.filter(
                    source=models.OuterRef("pk"), claim__status=ClaimStatus.PUBLISHED
                )
            )
        )


class Source(models.Model):
    """A page that makes claims: a marketing article, a vendor page, a press release."""

    title = models.CharField(max_length=500)
    url = models.URLField(max_length=1000, null=True, blank=True, unique=True)
    publisher = models.CharField(max_length=200, blank=True)
    author = models.CharField(max_length=200, blank=True)
    published_on = models.DateField(null=True, blank=True)
    accessed_on = models.DateField(null=True, blank=True)
    text = models.TextField(
        blank=True,
        max_length=limits.ARTICLE_TEXT,
        help_text="The page's text as imported (sanitised).",
    )
    origin_note = models.TextField(blank=True)

    history = HistoricalRecords()
    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("source", args=[self.pk])

    @property
    def conflict_labels(self) -> list[str]:
        """The kinds of its conflicts of interest, each once, strongest first (reads
        `conflicts.all()`, so prefetch "conflicts" when listing many)."""
        kinds = {conflict.kind for conflict in self.conflicts.all()}
        return [label for code, label in reversed(ConflictKind.choices) if code in kinds]


class SourceConflict(models.Model):
    """A conflict of interest of a source: a sentence or link showing that the page earns from
    the product it writes about, and how."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="conflicts")
    text = models.TextField()
    kind = models.CharField(max_length=20, choices=ConflictKind)
    position = models.PositiveIntegerField(default=0)  # in the order the import found them

    class Meta:
        ordering = ["source", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "text"], name="source_conflict_unique"),
            models.CheckConstraint(
                condition=models.Q(kind__in=ConflictKind.values), name="source_conflict_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.text[:80]}"


class Reference(models.Model):
    """An entry of a source's reference list, resolved to a study when its identifier is known."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="references")
    number = models.PositiveIntegerField()
    text = models.TextField()
    doi = models.CharField(max_length=255, blank=True)
    pmid = models.CharField(max_length=9, blank=True)
    pmcid = models.CharField("PMCID", max_length=20, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    study = models.ForeignKey(
        Study, on_delete=models.SET_NULL, null=True, blank=True, related_name="references"
    )
    # How the study was found: its identifier, its title (kb.reference_matching), or an editor.
    match = models.CharField(max_length=12, choices=ReferenceMatch, blank=True)

    class Meta:
        ordering = ["source", "number"]
        constraints = [
            models.UniqueConstraint(fields=["source", "number"], name="reference_number_unique")
        ]

    def __str__(self):
        return f"[{self.number}] {self.text[:80]}"


class ReferenceSuggestion(models.Model):
    """A study a reference without identifier may name, for an editor to confirm: a stored
    study with a similar title, or a PMID (PubMed's ECitMatch) or DOI (Crossref) found online."""

    reference = models.ForeignKey(Reference, on_delete=models.CASCADE, related_name="suggestions")
    service = models.CharField(max_length=12, choices=SuggestionService)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, null=True, blank=True)
    pmid = models.CharField(max_length=9, blank=True)
    doi = models.CharField(max_length=255, blank=True)
    confidence = models.FloatField()

    class Meta:
        ordering = ["reference", "-confidence", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reference", "service"], name="reference_suggestion_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(confidence__gte=0) & models.Q(confidence__lte=1),
                name="reference_suggestion_confidence_range",
            ),
            models.CheckConstraint(
                condition=models.Q(study__isnull=False) | ~models.Q(pmid="") | ~models.Q(doi=""),
                name="reference_suggestion_names_something",
            ),
        ]

    def __str__(self):
        return f"[{self.reference.number}] {self.get_service_display()} {self.confidence:.0%}"


class Topic(models.Model):
    """What readers group claims by: a condition (acute ischaemic stroke), a use (healthy
    users) or an aspect (mechanism, safety, dosing and administration, regulatory)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    # Words and phrases that suggest the topic for a sentence at import (kb.topics).
    keywords = models.JSONField(default=list, blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the pages.")

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class ClaimQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=ClaimStatus.PUBLISHED)

    def visible_to(self, user):
        """Published claims for everyone; drafts too for those who may see them."""
        return self if user.has_perm(roles.SEE_DRAFTS) else self.published()


class Claim(models.Model):
    """A testable proposition about a compound, graded once however many pages make it (each
    place one does is an Appearance)."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="claims")
    statement = models.TextField(
        max_length=limits.STATEMENT,
        help_text="The testable proposition, naming population and outcome.",
    )
    topic = models.ForeignKey(
        Topic, on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    population = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=20, choices=ClaimKind, default=ClaimKind.BENEFIT)
    status = models.CharField(max_length=10, choices=ClaimStatus, default=ClaimStatus.DRAFT)

    # Derived by kb.grading from the evidence and the judgements below; stored by
    # kb.services.grades.regrade, never by save().
    computed_verdict = models.CharField(max_length=30, choices=Verdict, default=Verdict.UNGRADED)
    verdict = models.CharField(max_length=30, choices=Verdict, default=Verdict.UNGRADED)
    certainty = models.CharField(max_length=10, choices=Certainty, null=True, blank=True)
    # The proposition's flags; the sentence's own (citation mismatch, overstated) are on each
    # Appearance.
    flags = models.JSONField(default=list, blank=True)
    # Flags only an editor sets on the claim (needs_rereview); merged into `flags`.
    editor_flags = models.JSONField(default=list, blank=True)
    rationale = models.TextField(blank=True)

    verdict_override = models.CharField(max_length=30, choices=Verdict, null=True, blank=True)
    override_rationale = models.TextField(blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    override_at = models.DateTimeField(null=True, blank=True)

    # GRADE: five reasons to rate down (null = not judged) and two to rate up.
    risk_of_bias = models.CharField(max_length=12, choices=Judgement, null=True, blank=True)
    risk_of_bias_reason = models.TextField(blank=True)
    inconsistency = models.CharField(max_length=12, choices=Judgement, null=True, blank=True)
    inconsistency_reason = models.TextField(blank=True)
    indirectness = models.CharField(max_length=12, choices=Judgement, null=True, blank=True)
    indirectness_reason = models.TextField(blank=True)
    imprecision = models.CharField(max_length=12, choices=Judgement, null=True, blank=True)
    imprecision_reason = models.TextField(blank=True)
    publication_bias = models.CharField(max_length=12, choices=Judgement, null=True, blank=True)
    publication_bias_reason = models.TextField(blank=True)
    large_effect = models.PositiveSmallIntegerField(default=0)
    large_effect_reason = models.TextField(blank=True)
    dose_response = models.BooleanField(default=False)
    dose_response_reason = models.TextField(blank=True)

    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    graded_at = models.DateTimeField(null=True, blank=True)

    # Optimistic locking: every save through the workbench bumps it; a stale save is refused.
    version = models.PositiveIntegerField(default=1)
    # What readers see while the claim is published: its state at the last publication
    # (kb.published_state), written by the publish service, cleared by unpublish. The columns
    # above are the editors' draft of the next version.
    published = models.JSONField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The statement's words; the sentences making the claim are in each Appearance's vector.
    search_vector = stored_vector(field_vector("statement", "A"))

    history = HistoricalRecords(excluded_fields=["search_vector", "published"])
    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ClaimKind.values), name="claim_kind"
            ),
            # A proposition has words: "..." or "(1)." left by an import cannot be graded or
            # restated (kb.grading.grade26_sentence); such a sentence stays a proposal.
            models.CheckConstraint(
                condition=models.Q(statement__regex=r"\w"), name="claim_statement_has_words"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ClaimStatus.values), name="claim_status"
            ),
            # A draft has no public state: unpublishing clears it.
            models.CheckConstraint(
                condition=models.Q(published__isnull=True) | models.Q(status=ClaimStatus.PUBLISHED),
                name="claim_published_state_only_when_published",
            ),
            models.CheckConstraint(
                condition=models.Q(verdict__in=Verdict.values), name="claim_verdict"
            ),
            models.CheckConstraint(
                condition=models.Q(computed_verdict__in=Verdict.values),
                name="claim_computed_verdict",
            ),
            models.CheckConstraint(
                condition=models.Q(verdict_override__isnull=True)
                | models.Q(verdict_override__in=Verdict.values),
                name="claim_verdict_override",
            ),
            models.CheckConstraint(
                condition=models.Q(certainty__isnull=True)
                | models.Q(certainty__in=Certainty.values),
                name="claim_certainty",
            ),
            # Ungraded claims carry no certainty; an override always carries its reason.
            models.CheckConstraint(
                condition=~models.Q(verdict=Verdict.UNGRADED) | models.Q(certainty__isnull=True),
                name="claim_ungraded_has_no_certainty",
            ),
            models.CheckConstraint(
                condition=models.Q(verdict_override__isnull=True)
                | ~models.Q(override_rationale=""),
                name="claim_override_has_rationale",
            ),
            models.CheckConstraint(
                condition=models.Q(large_effect__lte=2), name="claim_large_effect_0_to_2"
            ),
            *[
                models.CheckConstraint(
                    condition=models.Q(**{f"{domain}__isnull": True})
                    | models.Q(**{f"{domain}__in": Judgement.values}),
                    name=f"claim_{domain}_judgement",
                )
                for domain in (
                    "risk_of_bias",
                    "inconsistency",
                    "indirectness",
                    "imprecision",
                    "publication_bias",
                )
            ],
        ]
        indexes = [
            models.Index(fields=["status", "verdict"]),
            GinIndex(fields=["search_vector"], name="claim_search"),
            # The flag filter is JSONB containment (flags @> '["harm_signal"]').
            GinIndex(fields=["flags"], name="claim_flags"),
            # The home page's warnings: the latest graded published claims, read in this order
            # until ten match, not every published claim sorted (kb.selectors).
            models.Index(
                models.F("graded_at").desc(nulls_last=True),
                models.F("id").desc(),
                condition=models.Q(status=ClaimStatus.PUBLISHED),
                name="claim_published_graded",
            ),
            # Each compound's number of published claims (home and data pages): counted in this
            # small index, not in the table.
            models.Index(
                fields=["compound"],
                condition=models.Q(status=ClaimStatus.PUBLISHED),
                name="claim_published_compound",
            ),
        ]

    def __str__(self):
        return self.statement[:100]

    def get_absolute_url(self):
        return reverse("claim", args=[self.pk])

    def evidence_items(self, evidence=None) -> list[grading.EvidenceItem]:
        """The weighed evidence as the rules see it; pass evidence already loaded (with its
        study) to spare the query."""
        if not self.pk:
            return []
        if evidence is None:
            evidence = self.evidence.select_related("study").defer(*heavy_fields("study__"))
        return [
            grading.EvidenceItem(
                design=ev.study.design,
                stance=ev.stance,
                indirectness=frozenset(ev.indirectness),
                harm=ev.harm,
                retracted=ev.study.retracted,
            )
            for ev in evidence
            if ev.stance
        ]

    def judgements(self) -> grading.Judgements:
        return grading.Judgements(
            risk_of_bias=self.risk_of_bias,
            inconsistency=self.inconsistency,
            indirectness=self.indirectness,
            imprecision=self.imprecision,
            publication_bias=self.publication_bias,
            large_effect=self.large_effect,
            dose_response=self.dose_response,
        )

    def compute_grade(self, evidence=None) -> grading.Grade:
        return grading.grade(
            self.evidence_items(evidence), self.judgements(), graded=self.is_graded
        )

    @property
    def is_graded(self) -> bool:
        return self.graded_at is not None

    @property
    def flag_labels(self) -> list[str]:
        return flag_labels(self.flags)

    @property
    def verdict_words(self) -> str:
        return grading.verdict_words(self.verdict, self.certainty)

    @property
    def verdict_tone(self) -> str:
        return grading.verdict_tone(self.verdict, self.kind, self.flags)

    @property
    def borne_out_warning(self) -> bool:
        return grading.borne_out_warning(self.verdict, self.kind, self.flags)


def flag_labels(codes) -> list[str]:
    return [Flag(code).label for code in codes if code in Flag.values]


GRADE_FIELDS = ("computed_verdict", "verdict", "certainty", "flags")


class EvidenceManager(models.Manager):
    def get_queryset(self):
        # Whether a source cited the study for the claim is read from the appearances'
        # citations on every query, never stored, so the two cannot disagree.
        cited = Citation.objects.filter(
            appearance__claim=models.OuterRef("claim_id"),
            reference__study=models.OuterRef("study_id"),
        )
        return super().get_queryset().annotate(cited_by_source=models.Exists(cited))


class Evidence(models.Model):
    """One study weighed for one claim. `cited_by_source` (annotated by the manager): some page
    making the claim cites this study for it."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="evidence")
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="evidence")
    # Null until an editor has weighed the study against the claim (e.g. a freshly imported
    # citation); unweighed links take no part in grading.
    stance = models.CharField(max_length=20, choices=Stance, null=True, blank=True)
    indirectness = models.JSONField(
        default=list, blank=True, help_text=f"Codes: {', '.join(Indirectness.values)}"
    )
    harm = models.BooleanField(
        default=False,
        help_text="The study reports more serious adverse events with the compound.",
    )
    note = models.TextField(blank=True, max_length=limits.NOTE)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = EvidenceManager()

    class Meta:
        verbose_name_plural = "evidence"
        constraints = [
            models.UniqueConstraint(fields=["claim", "study"], name="evidence_once_per_study"),
            models.CheckConstraint(
                condition=models.Q(stance__isnull=True) | models.Q(stance__in=Stance.values),
                name="evidence_stance_valid",
            ),
        ]

    def __str__(self):
        return f"{self.study} {self.get_stance_display()} claim {self.claim_id}"

    @property
    def indirectness_labels(self) -> list[str]:
        return [Indirectness(code).label for code in self.indirectness if code in Indirectness]


class Appearance(models.Model):
    """One place a source makes a claim: the sentence verbatim, where it stands on the page,
    what it cites, and the flags that belong to the sentence rather than the proposition."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="appearances")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="appearances")
    quote = models.TextField(max_length=limits.QUOTE, help_text="The source's sentence, verbatim.")
    position = models.PositiveIntegerField(
        null=True, blank=True, help_text="Order of the sentence in its source."
    )
    seen_at = models.DateTimeField(default=timezone.now, help_text="When it was imported.")
    overstated = models.BooleanField(
        default=False, help_text="An editor judged the sentence says more than the statement."
    )
    # Derived by kb.grading.appearance_flags (citation mismatch) and the editor's `overstated`;
    # stored by kb.services.grades with the claim's grade.
    flags = models.JSONField(default=list, blank=True)
    search_vector = stored_vector(field_vector("quote", "B"))

    history = HistoricalRecords(excluded_fields=["search_vector"])

    class Meta:
        ordering = ["source_id", "position", "id"]
        indexes = [
            GinIndex(fields=["search_vector"], name="appearance_search"),
            GinIndex(fields=["flags"], name="appearance_flags"),
        ]
        constraints = [
            # One sentence may state two propositions (two claims), but each only once.
            # On the quote's hash: a btree entry holds at most 2,704 bytes, and a sentence of
            # 2,000 characters (limits.QUOTE) may take 8,000.
            models.UniqueConstraint(
                "claim", "source", MD5("quote"), name="appearance_once_per_claim"
            ),
            models.CheckConstraint(
                condition=~models.Q(quote__regex=r"^\s*$"), name="appearance_quote_not_blank"
            ),
        ]

    def __str__(self):
        return self.quote[:100]

    @property
    def flag_labels(self) -> list[str]:
        return flag_labels(self.flags)


class Citation(models.Model):
    """A citation site: an appearance's sentence carries a marker pointing to a reference."""

    appearance = models.ForeignKey(Appearance, on_delete=models.CASCADE, related_name="citations")
    reference = models.ForeignKey(Reference, on_delete=models.CASCADE, related_name="citations")

    class Meta:
        ordering = ["reference__number"]
        constraints = [
            models.UniqueConstraint(fields=["appearance", "reference"], name="citation_once")
        ]

    def __str__(self):
        return f"appearance {self.appearance_id} cites [{self.reference.number}]"


class PubMedWatch(models.Model):
    """A compound's saved PubMed search (E-utilities syntax), run on a schedule from the day the
    last run searched up to: what it finds lands in the editors' new-evidence inbox."""

    compound = models.OneToOneField(Compound, on_delete=models.CASCADE, related_name="watch")
    query = models.TextField(help_text="E-utilities syntax, e.g. Cerebrolysin[tiab]")
    active = models.BooleanField(default=True)
    # The last day a run searched (by the date records entered PubMed); the next run starts there.
    searched_until = models.DateField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(query__regex=r"^\s*$"), name="watch_query_not_blank"
            )
        ]

    def __str__(self):
        return f"{self.compound}: {self.query}"


class NewEvidence(models.Model):
    """A study the watch found for a compound, waiting for an editor: weighed (linked to a
    claim as evidence) or dismissed. `proposed` holds the claims it most likely bears on, best
    first ({"claim", "statement", "score"}, kb.relevance), ranked when it was found."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        WEIGHED = "weighed", "Weighed"
        DISMISSED = "dismissed", "Dismissed"

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="new_evidence")
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status, default=Status.NEW)
    proposed = models.JSONField(default=list, blank=True)
    found_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-found_at", "-pk"]
        verbose_name_plural = "new evidence"
        constraints = [
            models.UniqueConstraint(fields=["compound", "study"], name="new_evidence_once"),
            models.CheckConstraint(
                condition=models.Q(status__in=["new", "weighed", "dismissed"]),
                name="new_evidence_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.compound}: {self.study}"


class Follow(models.Model):
    """An editor follows a compound: its new evidence and changed verdicts come in their e-mail
    digest (kb.digest)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="followers")
    # The end of the period the last digest covered; the next one starts there.
    digested_until = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "compound"], name="follow_once")]

    def __str__(self):
        return f"{self.user} follows {self.compound}"


class PublicChange(models.Model):
    """One publication of a claim, as readers are told of it: the verdict and certainty they
    saw before (none on the first publication) and after, the editor's public reason and who
    published. Written only by kb.services.claims.publish; read through
    kb.selectors.public_changes (the claim page's changelog, the site's list of changes)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="public_changes")
    old_verdict = models.CharField(max_length=30, choices=Verdict.choices, null=True, blank=True)
    new_verdict = models.CharField(max_length=30, choices=Verdict.choices)
    old_certainty = models.CharField(
        max_length=10, choices=Certainty.choices, null=True, blank=True
    )
    new_certainty = models.CharField(
        max_length=10, choices=Certainty.choices, null=True, blank=True
    )
    reason = models.TextField(help_text="Why, in words for readers; required.")
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["-at"], name="public_change_at")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(reason__regex=r"^\s*$"), name="public_change_has_reason"
            ),
        ]

    def __str__(self):
        return f"Claim {self.claim_id} published {self.at:%Y-%m-%d}: {self.reason[:60]}"

    @property
    def verdict_changed(self) -> bool:
        return self.old_verdict is not None and self.old_verdict != self.new_verdict


class SavedPreview(models.Model):
    """An article preview that has been saved, by its token: the database refuses a second save
    of the same preview (the Save button sent twice, e.g. a double click without JavaScript),
    so an article's source and claims are never stored twice."""

    token = models.CharField(max_length=40, unique=True)
    saved_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Preview {self.token} saved {self.saved_at:%Y-%m-%d %H:%M}"
