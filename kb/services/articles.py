"""Saving an extracted article: its source and conflicts of interest, reference list, the
sentences that make claims (each an Appearance, on an existing claim or a new draft one) and
their citation links.

One transaction; idempotent (a second import of the same page adds nothing and changes no
editor's work). A sentence placed on an existing claim takes that claim's grade at once, and
its citation audit follows from the evidence already weighed; a cited study the claim does not
weigh yet is linked unweighed, which puts the claim in the review queue as new evidence to
weigh (and, when published, asks for a re-review).

Each reference resolves to a study through its PMID, DOI or PMCID: a study already stored, or, with
fetch=True, one fetched from PubMed (by PMID) or Crossref (by DOI, then PubMed through the DOI's
PMID) and stored through the studies importer. Fetching happens before the
transaction, so no database transaction waits on the network, and whatever is fetched is
stored together with the article or not at all. Offline, nothing waits: the references stay
unresolved and a note in the result says so. A reference without an identifier stays as text
(Reference.study null) for an editor to resolve.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from kb import reference_matching, selectors, topics
from kb.articles import Article
from kb.models import (
    Appearance,
    Citation,
    Claim,
    Compound,
    Evidence,
    Reference,
    ReferenceSuggestion,
    SavedPreview,
    Source,
    SourceConflict,
    Topic,
)
from kb.reference_fetching import Fetched, fetch_records, reference_numbers
from kb.services import grades
from kb.services.errors import Refused
from kb.vocabulary import ClaimStatus, ReferenceMatch, SuggestionService
from studies import content_version, limits
from studies.crossref import CrossrefClient
from studies.eutils import EutilsClient
from studies.importer import import_batch
from studies.models import Study


@dataclass(frozen=True)
class Placement:
    """Where one sentence goes: onto existing claims of the compound (a sentence may state two
    propositions), or, with none, onto a new draft claim with this topic (None: proposed from
    the sentence's words)."""

    claim_ids: tuple[int, ...] = ()
    topic_id: int | None = None


@dataclass
class ImportResult:
    source: Source
    claims_created: int = 0  # new draft claims
    attached: int = 0  # new appearances on claims that were already there
    claims_existing: int = 0  # sentences already imported from this page
    references: int = 0
    unresolved: list[int] = field(default_factory=list)
    appearances: list[Appearance] = field(default_factory=list)  # in the article's order
    warnings: list[str] = field(default_factory=list)  # the extractor's, then the importer's
    # What resolving the references did or could not do (fetched, offline, unknown), in words
    # for the editor.
    notes: list[str] = field(default_factory=list)
    studies_fetched: int = 0  # studies newly stored from fetched records

    def summary(self) -> str:
        """What was saved, in one sentence for the editor."""
        attached, created = self.attached, self.claims_created
        text = (
            f"Saved from {self.source.title}: {attached} sentence{'s' if attached != 1 else ''} "
            f"attached to existing claims, {created} new draft claim{'s' if created != 1 else ''}"
        )
        if self.claims_existing:
            text += f" ({self.claims_existing} were already there from an earlier import)"
        if self.studies_fetched:
            text += f"; {self.studies_fetched} cited studies fetched and stored"
        return text + "."


def _source_for(article: Article, source: Source | None) -> Source:
    if source is None and article.url:
        source = Source.objects.filter(url=article.url).first()
    if source is None:
        source = Source.objects.filter(url__isnull=True, title=article.title).first()
    source = source or Source(title=article.title)
    source.title = article.title or source.title
    if article.url and len(article.url) <= Source._meta.get_field("url").max_length:
        source.url = article.url
    source.author = article.author or source.author
    source.publisher = article.publisher or source.publisher
    source.published_on = article.published or source.published_on
    source.text = article.text or source.text
    source.save()
    return source


def references_to_fetch(article: Article) -> list:
    """The article's references with a PMID or DOI that no stored study matches yet (one known
    only by its PMCID resolves to a stored study with it, and is not fetched)."""
    stored = selectors.stored_studies(article.references)
    return [r for r in article.references if r.number not in stored and (r.pmid or r.doi)]


def _suggest(reference: Reference, near, online) -> None:
    """Record what an editor may confirm for a reference still without a study: a stored study
    with a similar title, and the PMID or DOI PubMed or Crossref proposed."""
    if reference.study_id is not None:
        return
    if near is not None:
        ReferenceSuggestion.objects.update_or_create(
            reference=reference,
            service=SuggestionService.TITLE,
            defaults={"study": near.study, "confidence": near.confidence, "pmid": "", "doi": ""},
        )
    for found in online:
        ReferenceSuggestion.objects.update_or_create(
            reference=reference,
            service=found.service,
            defaults={
                "pmid": found.pmid or "",
                "doi": found.doi or "",
                "confidence": found.confidence,
            },
        )


def _record_conflicts(source: Source, article: Article) -> None:
    """The conflicts of interest found, each once per source with its kind; those recorded
    before (by an earlier import or an editor) stay."""
    for position, conflict in enumerate(article.conflicts_of_interest):
        SourceConflict.objects.update_or_create(
            source=source,
            text=conflict.text,
            defaults={"kind": conflict.kind, "position": position},
        )


def save_article(
    article: Article,
    *,
    compound: Compound,
    source: Source | None = None,
    keep: Callable[[str], bool] | None = None,
    placements: Mapping[str, Placement] | None = None,
    user=None,
    fetch: bool = False,
    pubmed: EutilsClient | None = None,
    crossref: CrossrefClient | None = None,
) -> ImportResult:
    """Store the article as a source whose sentences make claims, linked to what they cite.

    `keep` decides which proposed sentences are saved (the demo keeps the curated ones);
    `placements` (by quote) puts a sentence on an existing claim or sets a new claim's topic,
    and a sentence without one becomes a new draft claim. With `fetch`, references no stored
    study matches are fetched from PubMed or Crossref first, through the clients given (by
    default the configured ones, from settings).
    """
    fetched = Fetched()
    online: dict = {}
    if fetch:
        pubmed = pubmed or EutilsClient.from_settings()
        crossref = crossref or CrossrefClient.from_settings()
        missing = references_to_fetch(article)
        if missing:
            fetched = fetch_records(missing, pubmed=pubmed, crossref=crossref)
        online, notes = reference_matching.online_suggestions(
            article.references,
            reference_matching.resolve(article.references),
            pubmed=pubmed,
            crossref=crossref,
            down=fetched.down,
        )
        fetched.notes.extend(notes)
    return _save(
        article,
        compound=compound,
        source=source,
        keep=keep,
        placements=placements or {},
        user=user,
        fetched=fetched,
        online=online,
    )


def check_limits(article: Article) -> None:
    """Refused, before anything is written, when a text is over its limit (studies.limits)."""
    if len(article.text or "") > limits.ARTICLE_TEXT:
        raise Refused(
            limits.too_long("The article's text", len(article.text), limits.ARTICLE_TEXT)
            + " Nothing was saved."
        )
    for proposed in article.claims:
        if len(proposed.quote) > limits.QUOTE:
            number = f" {proposed.position + 1}" if proposed.position is not None else ""
            raise Refused(
                limits.too_long(f"Sentence{number}", len(proposed.quote), limits.QUOTE)
                + f" (“{proposed.quote[:60]}…”). Shorten it in the preview; nothing was saved."
            )


@transaction.atomic
def _save(
    article, *, compound, source, keep, placements, user, fetched: Fetched, online: dict
) -> ImportResult:
    check_limits(article)
    result = ImportResult(source=_source_for(article, source), warnings=list(article.warnings))
    _record_conflicts(result.source, article)
    result.notes.extend(fetched.notes)
    if fetched.records:
        imported = import_batch(fetched.records)
        result.studies_fetched = imported.created
        result.notes.extend(imported.problems)
    resolution = reference_matching.resolve(article.references)
    studies = resolution.studies
    references = {}
    for entry in article.references:
        doi, url = entry.doi or "", entry.url or ""
        # Column limits: a value that does not fit is dropped with a warning, never truncated
        # into a different identifier.
        if len(doi) > Reference._meta.get_field("doi").max_length:
            result.warnings.append(f"Reference {entry.number}: DOI too long to store; dropped.")
            doi = ""
        if len(url) > Reference._meta.get_field("url").max_length:
            result.warnings.append(f"Reference {entry.number}: URL too long to store; dropped.")
            url = ""
        values = {
            "text": entry.text,
            "doi": doi,
            "pmid": entry.pmid or "",
            "pmcid": entry.pmcid or "",
            "url": url,
        }
        study = studies.get(entry.number)
        if study is not None:
            values["study"] = study
            values["match"] = resolution.how[entry.number]
        # Without a match the reference keeps the study an editor may have linked by hand.
        reference, _ = Reference.objects.update_or_create(
            source=result.source, number=entry.number, defaults=values
        )
        references[entry.number] = reference
        _suggest(reference, resolution.near.get(entry.number), online.get(entry.number, []))
        if reference.study_id is None:
            result.unresolved.append(entry.number)
    result.references = len(references)
    missed = [n for n in result.unresolved if references[n].pmid or references[n].doi]
    if fetched.tried and missed:
        result.notes.append(
            f"{reference_numbers(missed).capitalize()} {'stays' if len(missed) == 1 else 'stay'} "
            "unresolved: import the article again when "
            "the network is back, or link their studies in the workbench."
        )

    topic_words = [topics.TopicWords(t.pk, tuple(t.keywords)) for t in Topic.objects.all()]
    touched: dict[int, Claim] = {}  # claims whose evidence or appearances changed: regraded
    for proposed in article.claims:
        if keep is not None and not keep(proposed.quote):
            continue
        placement = placements.get(proposed.quote) or Placement()
        for appearance in _appearances(
            proposed, placement, result, compound, topic_words, touched, user=user
        ):
            claim = appearance.claim
            result.appearances.append(appearance)
            for number in proposed.references:
                reference = references.get(number)
                if reference is None:
                    continue
                Citation.objects.get_or_create(appearance=appearance, reference=reference)
                if reference.study is None:
                    continue
                _, made = Evidence.objects.get_or_create(
                    claim=claim, study=reference.study, defaults={"added_by": user}
                )
                if made and claim.status == ClaimStatus.PUBLISHED:
                    grades.ask_for_rereview(claim)
    grades.regrade_all(touched.values(), user=user, reason="Article import: citations linked")
    # The source page and its sentences are public.
    content_version.bump()
    return result


def _appearances(proposed, placement, result, compound, topic_words, touched, *, user):
    """The sentence's appearances: those already imported from this page, and new ones on the
    claims it is placed on (or on a new draft claim). Each carries the one instance of its
    claim kept in `touched`, so changes made through several sentences are not lost."""
    existing = list(
        Appearance.objects.filter(
            source=result.source, quote=proposed.quote, claim__compound=compound
        ).select_related("claim")
    )
    result.claims_existing += len(existing)
    have = {appearance.claim_id for appearance in existing}
    claims = []
    if placement.claim_ids:
        claims = [_placed_on(pk, proposed, compound, touched) for pk in placement.claim_ids]
    elif not existing:
        if not limits.has_words(proposed.quote):
            # A claim is a proposition: a sentence of no words ("(1).", "...") cannot be one
            # until an editor writes it, so it is not saved.
            result.notes.append(
                f"The sentence “{proposed.quote}” has no words: it stays a proposal, not a "
                "claim. Write its words in the preview to save it."
            )
            return []
        claims = [_new_claim(proposed, placement, compound, topic_words, user=user)]
        result.claims_created += 1
    made = []
    for claim in claims:
        if claim.pk in have:
            continue
        have.add(claim.pk)
        appearance = Appearance(
            claim=claim, source=result.source, quote=proposed.quote, position=proposed.position
        )
        grades.attributed(appearance, user=user, reason="Article import").save()
        made.append(appearance)
    result.attached += len(made) if placement.claim_ids else 0
    for appearance in [*existing, *made]:
        appearance.claim = touched.setdefault(appearance.claim_id, appearance.claim)
    return [*existing, *made]


def _placed_on(pk: int, proposed, compound, touched) -> Claim:
    """An existing claim of the compound, locked (or the instance already in hand)."""
    if pk in touched:
        return touched[pk]
    claim = Claim.objects.select_for_update().filter(pk=pk, compound=compound).first()
    if claim is None:
        raise Refused(
            f"Claim {pk} is not a claim about {compound}: the sentence “{proposed.quote[:80]}” "
            "was not saved, nor anything else from this import."
        )
    return claim


def _new_claim(proposed, placement, compound, topic_words, *, user) -> Claim:
    topic_id = placement.topic_id or topics.propose_topic(proposed.quote, topic_words)
    claim = Claim(
        compound=compound,
        statement=proposed.quote,
        kind=proposed.kind,
        topic_id=topic_id,
        status=ClaimStatus.DRAFT,
    )
    grades.attributed(claim, user=user, reason="Proposed by article import").save()
    return claim


@transaction.atomic
def confirm_suggestion(suggestion_id: int, *, user) -> Reference:
    """An editor confirms a suggested study for a reference: the reference resolves to it (by an
    editor), its other suggestions go, and every claim a sentence cites it for weighs the study
    (unweighed, so the claim asks for review), then is regraded. Refused, changing nothing, when
    the suggested PMID or DOI is not stored yet."""
    suggestion = (
        ReferenceSuggestion.objects.select_for_update(of=("self",))
        .select_related("reference", "study")
        .filter(pk=suggestion_id)
        .first()
    )
    if suggestion is None:
        raise Refused("That suggestion is gone: the reference was resolved or re-imported.")
    study = suggestion.study or next(
        iter(Study.objects.by_identifier(pmids=[suggestion.pmid], dois=[suggestion.doi]).values()),
        None,
    )
    if study is None:
        named = f"PMID {suggestion.pmid}" if suggestion.pmid else f"DOI {suggestion.doi}"
        raise Refused(
            f"{named} is not stored yet: add it to a claim by that identifier in the workbench "
            "(it is fetched and shown first), then confirm. Nothing was changed."
        )
    reference = suggestion.reference
    reference.study, reference.match = study, ReferenceMatch.EDITOR
    reference.save(update_fields=["study", "match"])
    reference.suggestions.all().delete()
    touched: dict[int, Claim] = {}
    for citation in reference.citations.select_related("appearance__claim"):
        claim = touched.setdefault(citation.appearance.claim_id, citation.appearance.claim)
        _, made = Evidence.objects.get_or_create(
            claim=claim, study=study, defaults={"added_by": user}
        )
        if made and claim.status == ClaimStatus.PUBLISHED:
            grades.ask_for_rereview(claim)
    grades.regrade_all(touched.values(), user=user, reason="Reference matched to its study")
    return reference


class AlreadySaved(Refused):
    """The preview was saved before (this is the second of two Saves)."""


def claim_preview(token: str) -> None:
    """Record that the preview with this token is being saved, in the caller's transaction;
    AlreadySaved when it has been saved already. A second save sent at the same moment waits on the
    unique token until the first commits, then is refused: nothing is stored twice."""
    try:
        with transaction.atomic():
            SavedPreview.objects.create(token=token)
    except IntegrityError:
        raise AlreadySaved(
            "This preview has already been saved (the Save button was sent twice); "
            "nothing was saved again."
        ) from None
