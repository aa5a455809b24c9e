"""The Cerebrolysin demo: built from the repo's copy of the seed article and the editor's curated
grading (claims, each with the sentences that state it, keyed by quote), so the demo and the
article importer cannot drift apart."""

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kb.articles import Article, extract_article
from kb.models import Claim, Compound, Evidence, Source, Topic
from kb.services import grades, inbox
from kb.services.articles import Placement, save_article
from kb.services.claims import store_published_state
from kb.vocabulary import ClaimStatus
from studies import content_version
from studies.designs import DesignSource
from studies.models import Study

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
DEMO_FILE = FIXTURES / "cerebrolysin.json"
GRADING_FILE = FIXTURES / "cerebrolysin-grading.json"
STUDY_FIELDS = ("title", "journal", "year", "volume", "issue", "pages", "authors", "design")


@dataclass
class DemoResult:
    compound: Compound
    source: Source
    studies: dict[str, Study]
    claims: int = 0
    appearances: int = 0
    # Curated quotes the importer did not propose: the demo and the importer have drifted.
    missing: list[str] = field(default_factory=list)


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def upsert_study(entry: dict) -> Study:
    """A demo study, matched by PMID, else DOI, else title: loading twice changes nothing."""
    lookup = (
        {"pmid": entry["pmid"]}
        if entry.get("pmid")
        else {"doi": entry["doi"]}
        if entry.get("doi")
        else {"title": entry["title"]}
    )
    study = Study.objects.filter(**lookup).first() or Study(**lookup)
    for name in STUDY_FIELDS:
        setattr(study, name, entry.get(name) or ([] if name == "authors" else ""))
    study.year = entry.get("year")
    study.pmid = entry.get("pmid")
    study.doi = entry.get("doi")
    study.design_source = DesignSource.EDITOR
    study.editor_notes = entry.get("summary", "")
    study.save()
    return study


def load_base(data: dict) -> DemoResult:
    compound, _ = Compound.objects.update_or_create(
        slug=data["compound"]["slug"],
        defaults={k: v for k, v in data["compound"].items() if k != "slug"},
    )
    inbox.ensure_watch(compound)
    meta = data["source"]
    source, _ = Source.objects.update_or_create(
        title=meta["title"],
        defaults={
            "publisher": meta["publisher"],
            "author": meta["author"],
            "url": meta["url"],
            "origin_note": meta["origin_note"],
            "text": (FIXTURES / meta["article_file"]).read_text(encoding="utf-8"),
        },
    )
    studies = {entry["key"]: upsert_study(entry) for entry in data["studies"]}
    return DemoResult(compound=compound, source=source, studies=studies)


def load_topics(entries: list[dict]) -> dict[str, Topic]:
    return {
        entry["slug"]: Topic.objects.update_or_create(
            slug=entry["slug"],
            defaults={k: v for k, v in entry.items() if k != "slug"},
        )[0]
        for entry in entries
    }


def curated_claim(entry: dict, compound: Compound, source: Source, topic: Topic) -> Claim:
    """The claim for a curated entry: of the claims its first sentence already makes on the demo
    source (loading twice changes nothing), the one made by most of the entry's sentences and
    fewest others (a sentence may state two claims); else a new draft."""
    quotes = {appearance["quote"] for appearance in entry["appearances"]}
    candidates = Claim.objects.filter(
        appearances__source=source, appearances__quote=entry["appearances"][0]["quote"]
    ).filter(compound=compound)
    best, best_key = None, None
    for claim in candidates.prefetch_related("appearances"):
        made = {a.quote for a in claim.appearances.all() if a.source_id == source.pk}
        key = (len(made & quotes), -len(made - quotes))
        if best_key is None or key > best_key:
            best, best_key = claim, key
    if best is not None:
        return best
    claim = Claim(compound=compound, statement=entry["statement"], kind=entry["kind"], topic=topic)
    grades.attributed(claim, user=None, reason="Curated demo grading").save()
    return claim


def apply_grading(claim, curated: dict, studies: dict[str, Study], *, user=None) -> None:
    """Set a claim's fields, evidence, GRADE judgements and its sentences' overstated
    judgements from the curated entry, then grade and publish it."""
    claim.kind = curated["kind"]
    claim.statement = curated["statement"]
    claim.population = curated.get("population", "")
    claim.outcome = curated.get("outcome", "")
    claim.rationale = curated.get("rationale", "")
    overstated = {a["quote"] for a in curated["appearances"] if a.get("overstated")}
    for appearance in claim.appearances.all():
        if appearance.overstated != (appearance.quote in overstated):
            appearance.overstated = appearance.quote in overstated
            appearance.save(update_fields=["overstated"])
    judgements = curated.get("judgements", {})
    for domain in ("risk_of_bias", "inconsistency", "indirectness", "imprecision"):
        judged = judgements.get(domain)
        setattr(claim, domain, judged[0] if judged else None)
        setattr(claim, f"{domain}_reason", judged[1] if judged else "")
    judged = judgements.get("publication_bias")
    claim.publication_bias = judged[0] if judged else None
    claim.publication_bias_reason = judged[1] if judged else ""
    claim.large_effect, claim.large_effect_reason = judgements.get("large_effect", [0, ""])
    claim.dose_response, claim.dose_response_reason = judgements.get("dose_response", [False, ""])
    override = curated.get("override")
    if override:
        claim.verdict_override = override["verdict"]
        claim.override_rationale = override["rationale"]
    claim.graded_by = user
    claim.graded_at = claim.graded_at or timezone.now()
    for link in curated.get("evidence", []):
        Evidence.objects.update_or_create(
            claim=claim,
            study=studies[link["study"]],
            defaults={
                "stance": link["stance"],
                "indirectness": list(link.get("indirectness", [])),
                "harm": link.get("harm", False),
                "note": link.get("note", ""),
            },
        )
    claim.status = ClaimStatus.PUBLISHED
    grades.regrade(claim, user=user, reason="Graded and published (curated demo grading)")
    store_published_state(claim, at=timezone.now())


def read_grading() -> dict:
    return read_json(GRADING_FILE)


def seed_article() -> Article:
    data = read_json(DEMO_FILE)
    return extract_article((FIXTURES / data["source"]["article_file"]).read_bytes(), fmt="text")


@transaction.atomic
def load_demo() -> DemoResult:
    """Import the seed article, put each curated sentence on its claim, grade and publish."""
    result = load_base(read_json(DEMO_FILE))
    grading = read_grading()
    topics = load_topics(grading["topics"])
    entries = grading["claims"]
    claims = [
        curated_claim(entry, result.compound, result.source, topics[entry["topic"]])
        for entry in entries
    ]
    placed: dict[str, list[int]] = {}
    for entry, claim in zip(entries, claims, strict=True):
        for appearance in entry["appearances"]:
            placed.setdefault(appearance["quote"], []).append(claim.pk)
    imported = save_article(
        seed_article(),
        compound=result.compound,
        source=result.source,
        keep=placed.__contains__,
        placements={quote: Placement(claim_ids=tuple(ids)) for quote, ids in placed.items()},
    )
    for entry, claim in zip(entries, claims, strict=True):
        claim.refresh_from_db()
        apply_grading(claim, entry, result.studies)
    result.claims = len(claims)
    result.appearances = len(imported.appearances)
    result.missing = sorted(set(placed) - {a.quote for a in imported.appearances})
    content_version.bump()
    return result
