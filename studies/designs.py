"""Study designs: the OCEBM 2011 treatment ladder with level 5 split, and how a design is
suggested from PubMed's own indexing."""

from django.db import models


class Design(models.TextChoices):
    SYSTEMATIC_REVIEW = "systematic_review", "Systematic review or meta-analysis"
    RCT = "rct", "Randomised controlled trial"
    NON_RANDOMISED = "non_randomised", "Non-randomised controlled study"
    CASE_SERIES = "case_series", "Case series or case-control study"
    HUMAN_MECHANISTIC = "human_mechanistic", "Human mechanistic study"
    ANIMAL = "animal", "Animal study"
    IN_VITRO = "in_vitro", "In vitro study"
    OPINION = "opinion", "Narrative review, editorial or letter"


class DesignSource(models.TextChoices):
    SUGGESTED = "suggested", "Suggested from indexing"
    EDITOR = "editor", "Set by an editor"


# Level on the OCEBM ladder; 1 is the strongest. Level 5 is split into 5a-5d for display.
LEVELS = {
    Design.SYSTEMATIC_REVIEW: 1,
    Design.RCT: 2,
    Design.NON_RANDOMISED: 3,
    Design.CASE_SERIES: 4,
    Design.HUMAN_MECHANISTIC: 5,
    Design.ANIMAL: 5,
    Design.IN_VITRO: 5,
    Design.OPINION: 5,
}

LEVEL_LABELS = {
    Design.SYSTEMATIC_REVIEW: "1",
    Design.RCT: "2",
    Design.NON_RANDOMISED: "3",
    Design.CASE_SERIES: "4",
    Design.HUMAN_MECHANISTIC: "5a",
    Design.ANIMAL: "5b",
    Design.IN_VITRO: "5c",
    Design.OPINION: "5d",
}

# Order used to sort evidence: best level first, then the sub-levels of 5 in ladder order.
RANK = {design: rank for rank, design in enumerate(Design)}


def level(design: str | None) -> int | None:
    """The ladder level (1-5) of a design code, None when the design is unknown."""
    return LEVELS.get(design) if design else None


# Publication types and MeSH terms read by suggest_design(), grouped by the design they signal.
_SYSTEMATIC = frozenset({"Meta-Analysis", "Systematic Review", "Network Meta-Analysis"})
_RANDOMISED = frozenset({"Randomized Controlled Trial", "Equivalence Trial"})
_VETERINARY = frozenset(
    {
        "Randomized Controlled Trial, Veterinary",
        "Clinical Trial, Veterinary",
        "Observational Study, Veterinary",
    }
)
_CLINICAL_TRIAL = frozenset(
    {
        "Controlled Clinical Trial",
        "Clinical Trial",
        "Clinical Trial, Phase I",
        "Clinical Trial, Phase II",
        "Clinical Trial, Phase III",
        "Clinical Trial, Phase IV",
        "Pragmatic Clinical Trial",
        "Adaptive Clinical Trial",
    }
)
_OPINION = frozenset(
    {
        "Review",
        "Scoping Review",
        "Editorial",
        "Comment",
        "Letter",
        "News",
        "Newspaper Article",
        "Interview",
        "Lecture",
        "Address",
        "Personal Narrative",
        "Guideline",
        "Practice Guideline",
        "Consensus Development Conference",
        "Consensus Development Conference, NIH",
    }
)
_NOTICES = frozenset({"Published Erratum", "Retraction of Publication", "Expression of Concern"})
_IN_VITRO_MESH = frozenset(
    {
        "In Vitro Techniques",
        "Cells, Cultured",
        "Cell Line",
        "Cell Line, Tumor",
        "Cell Culture Techniques",
    }
)
_CASE_CONTROL_MESH = frozenset({"Case-Control Studies", "Retrospective Studies"})
_COHORT_MESH = frozenset({"Cohort Studies", "Prospective Studies", "Longitudinal Studies"})


def suggest_design(publication_types, mesh_terms=()) -> str | None:
    """A Design code suggested from PubMed indexing, or None when indexing does not tell.

    publication_types are PubMed PublicationType names; mesh_terms are MeSH descriptor names
    including the check tags (Humans, Animals, ...). Pure: the same input always gives the same
    answer. The first matching rule wins:

    1. Notices (Published Erratum, Retraction of Publication, Expression of Concern): None.
    2. Meta-Analysis or Systematic Review -> systematic_review (over Review and everything else).
    3. Veterinary trial/study types -> animal.
    4. Randomized Controlled Trial (or Equivalence Trial) -> rct (over Comment, Letter, ...:
       a trial report that is also indexed as a comment is still a trial).
    5. Review, Editorial, Comment, Letter, News, guidelines and the like -> opinion. They come
       before the species rules: a narrative review of animal work is still a narrative review.
    6. MeSH Animals without Humans -> animal.
    7. Controlled Clinical Trial, Clinical Trial (any phase), Pragmatic or Adaptive Clinical
       Trial -> non_randomised (randomised trials were caught by rule 4).
    8. MeSH In Vitro Techniques, Cells Cultured or a Cell Line -> in_vitro.
    9. Comparative Study with the Humans check tag -> non_randomised. Without Humans it is
       ignored: NLM also gives it to comparisons of methods, software or instruments.
    10. Observational Study -> case_series, except that a cohort design (MeSH Cohort,
        Prospective or Longitudinal Studies) without a case-control one (Case-Control or
        Retrospective Studies) -> non_randomised, OCEBM level 3 ("non-randomised controlled
        cohort/follow-up study").
    11. Case Reports -> case_series.
    12. Anything else, including a plain Journal Article -> None: an editor decides.

    human_mechanistic is never suggested: PubMed has no indexing that tells it apart.
    """
    types = set(publication_types or ())
    mesh = set(mesh_terms or ())
    if types & _NOTICES:
        return None
    if types & _SYSTEMATIC:
        return Design.SYSTEMATIC_REVIEW
    if types & _VETERINARY:
        return Design.ANIMAL
    if types & _RANDOMISED:
        return Design.RCT
    if types & _OPINION:
        return Design.OPINION
    if "Animals" in mesh and "Humans" not in mesh:
        return Design.ANIMAL
    if types & _CLINICAL_TRIAL:
        return Design.NON_RANDOMISED
    if mesh & _IN_VITRO_MESH:
        return Design.IN_VITRO
    if "Comparative Study" in types and "Humans" in mesh:
        return Design.NON_RANDOMISED
    if "Observational Study" in types:
        if mesh & _COHORT_MESH and not mesh & _CASE_CONTROL_MESH:
            return Design.NON_RANDOMISED
        return Design.CASE_SERIES
    if "Case Reports" in types:
        return Design.CASE_SERIES
    return None
