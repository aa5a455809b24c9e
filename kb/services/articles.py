"""Saving an extracted article: its source, reference list, proposed claims and citation links.

One transaction; idempotent (a second import of the same page adds nothing and changes no
editor's work). Each reference resolves to a study through its PMID or DOI: a study already
stored, or, with fetch=True, one fetched from PubMed (by PMID) or Crossref (by DOI, then PubMed
through the DOI's PMID) and stored through the studies importer. Fetching happens before the
transaction, so no database transaction waits on the network, and whatever is fetched is
stored together with the article or not at all. Offline, nothing waits: the references stay
unresolved and a note in the result says so. A reference without an identifier stays as text
(Reference.study null) for an editor to resolve.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from kb import selectors
from kb.articles import Article
from kb.models import Citation, Claim, Compound, Evidence, Reference, Source
from kb.reference_fetching import Fetched, fetch_records, reference_numbers
from kb.services import grades
from kb.vocabulary import ClaimStatus
from studies.crossref import CrossrefClient
from studies.eutils import EutilsClient
from studies.importer import import_batch


@dataclass
class ImportResult:
    source: Source
    claims_created: int = 0
    claims_existing: int = 0
    references: int = 0
    unresolved: list[int] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # the extractor's, then the importer's
    # What resolving the references did or could not do (fetched, offline, unknown), in words
    # for the editor.
    notes: list[str] = field(default_factory=list)
    studies_fetched: int = 0  # studies newly stored from fetched records


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
    if article.conflicts_of_interest:
        source.conflicts_of_interest = "\n".join(article.conflicts_of_interest)
    source.text = article.text or source.text
    source.save()
    return source


def save_article(
    article: Article,
    *,
    compound: Compound,
    source: Source | None = None,
    keep: Callable[[str], bool] | None = None,
    user=None,
    fetch: bool = False,
    pubmed: EutilsClient | None = None,
    crossref: CrossrefClient | None = None,
) -> ImportResult:
    """Store the article as a source with draft, ungraded claims linked to what they cite.

    `keep` decides which proposed claims are saved (the demo keeps the curated ones). With
    `fetch`, references no stored study matches are fetched from PubMed or Crossref first,
    through the clients given (by default the configured ones, from settings).
    """
    fetched = Fetched()
    if fetch:
        stored = selectors.stored_studies(article.references)
        missing = [r for r in article.references if r.number not in stored and (r.pmid or r.doi)]
        if missing:
            fetched = fetch_records(
                missing,
                pubmed=pubmed or EutilsClient.from_settings(),
                crossref=crossref or CrossrefClient.from_settings(),
            )
    return _save(article, compound=compound, source=source, keep=keep, user=user, fetched=fetched)


@transaction.atomic
def _save(article, *, compound, source, keep, user, fetched: Fetched) -> ImportResult:
    result = ImportResult(source=_source_for(article, source), warnings=list(article.warnings))
    result.notes.extend(fetched.notes)
    if fetched.records:
        imported = import_batch(fetched.records)
        result.studies_fetched = imported.created
        result.notes.extend(imported.problems)
    studies = selectors.stored_studies(article.references)
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
        values = {"text": entry.text, "doi": doi, "pmid": entry.pmid or "", "url": url}
        study = studies.get(entry.number)
        if study is not None:
            values["study"] = study
        # Without a match the reference keeps the study an editor may have linked by hand.
        reference, _ = Reference.objects.update_or_create(
            source=result.source, number=entry.number, defaults=values
        )
        references[entry.number] = reference
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

    relinked: dict[int, Claim] = {}  # claims whose cited evidence changed: regraded at the end
    for proposed in article.claims:
        if keep is not None and not keep(proposed.quote):
            continue
        claim, created = Claim.objects.get_or_create(
            source=result.source,
            compound=compound,
            quote=proposed.quote,
            defaults={
                "kind": proposed.kind,
                "position": proposed.position,
                "status": ClaimStatus.DRAFT,
            },
        )
        if created:
            result.claims_created += 1
        else:
            result.claims_existing += 1
        result.claims.append(claim)
        for number in proposed.references:
            reference = references.get(number)
            if reference is None:
                continue
            Citation.objects.get_or_create(claim=claim, reference=reference)
            if reference.study is not None:
                evidence, made = Evidence.objects.get_or_create(
                    claim=claim,
                    study=reference.study,
                    defaults={"cited_by_source": True, "added_by": user},
                )
                if made and claim.status == ClaimStatus.PUBLISHED:
                    grades.ask_for_rereview(claim)
                elif not made and not evidence.cited_by_source:
                    evidence.cited_by_source = True
                    evidence.save(update_fields=["cited_by_source"])
                relinked[claim.pk] = claim
    grades.regrade_all(relinked.values(), user=user, reason="Article import: citations linked")
    return result
