"""The controlled vocabulary used everywhere: database choices, API, templates and tests."""

from django.db import models


class ClaimKind(models.TextChoices):
    BENEFIT = "benefit", "Benefit"
    SAFETY = "safety", "Safety"
    MECHANISM = "mechanism", "Mechanism"
    DOSING = "dosing", "Dosing"
    REGULATORY = "regulatory", "Regulatory"
    OTHER = "other", "Other"


class ConflictKind(models.TextChoices):
    """How a page earns from the product it writes about."""

    SELLS = "sells", "Sells the product"
    AFFILIATE = "affiliate", "Affiliate"
    SPONSORED = "sponsored", "Sponsored"


class ReferenceMatch(models.TextChoices):
    """How a reference was tied to its study."""

    IDENTIFIER = "identifier", "By identifier"
    TITLE = "title", "By title, first author and year"
    EDITOR = "editor", "By an editor"


class SuggestionService(models.TextChoices):
    """Where a suggested study for a reference came from."""

    TITLE = "title", "Similar title of a stored study"
    ECITMATCH = "ecitmatch", "PubMed ECitMatch"
    CROSSREF = "crossref", "Crossref bibliographic search"


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class Stance(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    PARTIALLY_SUPPORTS = "partially_supports", "Partially supports"
    NO_EFFECT = "no_effect", "Finds no effect"
    CONTRADICTS = "contradicts", "Contradicts"
    DOES_NOT_ADDRESS = "does_not_address", "Does not address"


class Indirectness(models.TextChoices):
    POPULATION = "population", "Other population"
    INTERVENTION = "intervention", "Other intervention or product"
    COMPARATOR = "comparator", "Other comparator"
    OUTCOME = "outcome", "Other outcome"


class Certainty(models.TextChoices):
    HIGH = "high", "High"
    MODERATE = "moderate", "Moderate"
    LOW = "low", "Low"
    VERY_LOW = "very_low", "Very low"


class Verdict(models.TextChoices):
    SUPPORTED = "supported", "Supported"
    PROBABLY_SUPPORTED = "probably_supported", "Probably supported"
    POSSIBLY_SUPPORTED = "possibly_supported", "Possibly supported"
    UNPROVEN = "unproven", "Unproven"
    POSSIBLY_NOT_SUPPORTED = "possibly_not_supported", "Possibly not supported"
    PROBABLY_NOT_SUPPORTED = "probably_not_supported", "Probably not supported"
    CONTRADICTED = "contradicted", "Contradicted"
    UNGRADED = "ungraded", "Not yet graded"


class Flag(models.TextChoices):
    CONTRADICTED_BY_EVIDENCE = "contradicted_by_evidence", "A strong study disagrees"
    HARM_SIGNAL = "harm_signal", "Strong evidence of harm"
    CITATION_MISMATCH = "citation_mismatch", "Cited study does not back the sentence"
    EXTRAPOLATED = "extrapolated", "Extrapolated from indirect or non-human evidence"
    RETRACTED_EVIDENCE = "retracted_evidence", "Relies on a retracted study"
    OVERSTATED = "overstated", "Overstates its evidence"
    NEEDS_REREVIEW = "needs_rereview", "Needs re-review"


# Flags an editor sets by hand on a claim; the rest are derived by kb.grading.
EDITOR_FLAGS = (Flag.NEEDS_REREVIEW,)
# Flags of one sentence (an Appearance), not of the proposition it makes.
APPEARANCE_FLAGS = (Flag.CITATION_MISMATCH, Flag.OVERSTATED)


class Judgement(models.TextChoices):
    """A GRADE reason to rate down, as judged for a body of evidence."""

    NONE = "none", "Not serious"
    SERIOUS = "serious", "Serious"
    VERY_SERIOUS = "very_serious", "Very serious"


# The five GRADE domains for rating down, in GRADE's order: (field prefix, label).
DOWNGRADE_DOMAINS = (
    ("risk_of_bias", "Risk of bias"),
    ("inconsistency", "Inconsistency"),
    ("indirectness", "Indirectness"),
    ("imprecision", "Imprecision"),
    ("publication_bias", "Publication bias"),
)
