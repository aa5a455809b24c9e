"""The Cerebrolysin demo: built from the repo's copy of the seed article and the editor's curated
grading (keyed by quote), so the demo and the article importer cannot drift apart."""

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kb.articles import Article, extract_article
from kb.models import Compound, Evidence, Source
from kb.services import grades
from kb.services.articles import save_article
from kb.vocabulary import ClaimStatus
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


def apply_grading(claim, curated: dict, studies: dict[str, Study], *, user=None) -> None:
    """Set an imported claim's fields, evidence and GRADE judgements from the curated entry."""
    claim.kind = curated["kind"]
    claim.statement = curated.get("statement", "")
    claim.population = curated.get("population", "")
    claim.outcome = curated.get("outcome", "")
    claim.rationale = curated.get("rationale", "")
    claim.editor_flags = list(curated.get("editor_flags", []))
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
                "cited_by_source": link.get("cited_by_source", False),
                "indirectness": list(link.get("indirectness", [])),
                "harm": link.get("harm", False),
                "note": link.get("note", ""),
            },
        )
    claim.status = ClaimStatus.PUBLISHED
    grades.regrade(claim, user=user, reason="Graded and published (curated demo grading)")


def curated_claims() -> dict[str, dict]:
    """The editor's grading, keyed by the quote the importer extracts."""
    return {entry["quote"]: entry for entry in read_json(GRADING_FILE)["claims"]}


def seed_article() -> Article:
    data = read_json(DEMO_FILE)
    return extract_article((FIXTURES / data["source"]["article_file"]).read_bytes(), fmt="text")


@transaction.atomic
def load_demo() -> DemoResult:
    """Import the seed article, keep the claims the editor curated, grade and publish them."""
    result = load_base(read_json(DEMO_FILE))
    curated = curated_claims()
    imported = save_article(
        seed_article(), compound=result.compound, source=result.source, keep=curated.__contains__
    )
    for claim in imported.claims:
        apply_grading(claim, curated[claim.quote], result.studies)
    result.claims = len(imported.claims)
    result.missing = sorted(set(curated) - {claim.quote for claim in imported.claims})
    return result
