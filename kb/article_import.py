"""Saving an extracted article: its source, reference list, proposed claims and citation links.

One transaction; idempotent (a second import of the same page adds nothing and changes no
editor's work); references resolve to studies already stored, by PMID then DOI.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q

from kb.articles import Article
from kb.models import Citation, Claim, Compound, Evidence, Reference, Source
from kb.vocabulary import ClaimStatus
from studies.models import Study


@dataclass
class ImportResult:
    source: Source
    claims_created: int = 0
    claims_existing: int = 0
    references: int = 0
    unresolved: list[int] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # the extractor's, then the importer's


def find_study(*, pmid: str | None, doi: str | None) -> Study | None:
    condition = Q(pk__in=[])
    if pmid:
        condition |= Q(pmid=pmid)
    if doi:
        condition |= Q(doi=doi)
    matches = list(Study.objects.filter(condition)[:2])
    by_pmid = [s for s in matches if pmid and s.pmid == pmid]
    return (by_pmid or matches or [None])[0]


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


@transaction.atomic
def save_article(
    article: Article,
    *,
    compound: Compound,
    source: Source | None = None,
    keep: Callable[[str], bool] | None = None,
    user=None,
) -> ImportResult:
    """Store the article as a source with draft, ungraded claims linked to what they cite.

    `keep` decides which proposed claims are saved (the demo keeps the curated ones).
    """
    result = ImportResult(source=_source_for(article, source), warnings=list(article.warnings))
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
        reference, _ = Reference.objects.update_or_create(
            source=result.source,
            number=entry.number,
            defaults={
                "text": entry.text,
                "doi": doi,
                "pmid": entry.pmid or "",
                "url": url,
                "study": find_study(pmid=entry.pmid, doi=entry.doi),
            },
        )
        references[entry.number] = reference
        if reference.study is None:
            result.unresolved.append(entry.number)
    result.references = len(references)

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
                if not made and not evidence.cited_by_source:
                    evidence.cited_by_source = True
                    evidence.save(update_fields=["cited_by_source"])
    return result
