"""What a sentence is: a claim about the compound (and of which kind), a conflict of interest,
or neither. Deliberately a short list of readable rules; editors review every proposal."""

from __future__ import annotations

import re

from kb.articles.blocks import TERMINAL
from kb.articles.model import Block
from kb.vocabulary import ClaimKind

_META = re.compile(
    r"^(?:this (?:article|post|guide|page|review)\b|in this (?:article|post|guide)\b|"
    r"we will\b|we['\u2019]ll\b|here['\u2019]s\b|here is\b|here are\b|below\b|read on\b|"
    r"let['\u2019]s\b|"
    r"so what\b|(?:an? |the )?(?:comprehensive|complete|ultimate|in-depth|detailed) "
    r"(?:review|guide|overview)\b)"
    r"|\bwe will (?:also )?(?:discuss|explore|cover|look)\b",
    re.I,
)
BIO = re.compile(
    r"^(?P<author>[A-Z][\w'\u2019.-]+(?:\s+[A-Z][\w'\u2019.-]+){1,3}) is an? [^.]{0,150}?"
    r"\b(?:author|writer|editor|contributor|founder)\b (?:at|for|with|of) "
    r"(?P<publisher>[A-Z][\w.&'\u2019-]*(?:\s+[A-Z][\w.&'\u2019-]*){0,3})"
)
_UNKNOWN = re.compile(
    r"\b(?:is|are|remains?) (?:still )?(?:unclear|unknown|"
    r"not (?:clearly |well |yet |fully )?(?:defined|known|established|understood))\b"
    r"|\bremains? under investigation\b"
    r"|\bmore (?:\w+ ){0,2}(?:studies|research|trials|evidence|data) (?:is|are) (?:still )?"
    r"(?:needed|required|necessary)\b",
    re.I,
)
_ADVICE_START = re.compile(
    r"^(?:remember|consult|avoid|take|administer|rotate|ensure|apply|consider|visit|seek|"
    r"stay|make sure|talk|ask|always|never|do not|don['\u2019]t|keep|store|discontinue|stop|"
    r"check|read|click|try|if you)\b",
    re.I,
)
_ADVICE_ANY = re.compile(
    r"\b(?:consult(?:ing)? (?:a|your|with)|seek (?:immediate )?medical|"
    r"see a (?:doctor|physician|medical)|visit a (?:hospital|doctor)|talk to your|"
    r"speak (?:to|with) your|it is (?:important|recommended|advisable|essential|crucial)|"
    r"it['\u2019]s (?:important|recommended|advisable|essential|crucial)|is advisable|"
    r"should exercise|exercise caution|make sure|be sure to)\b",
    re.I,
)
_DOSE_QUANTITY = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:[-\u2013]\s*\d+(?:[.,]\d+)?\s*)?(?:ml|mg|mcg|µg|g|iu|units?)\b", re.I
)
# How often something happens: "5-15% of users", "1 in 100", "rare", "uncommon".
RATE = re.compile(
    r"\d\s*%|\bpercent\b|\b\d+\s+(?:in|of)\s+\d+\b|\b(?:rare|rarely|uncommon|very common)\b",
    re.I,
)
_LABEL = re.compile(r"^[^:.]{1,60}:\s+")
_HARM_LEAD_IN = re.compile(
    r"side[- ]effects?|adverse|avoid|contraindicat|likelihood|\brisks?\b|managed|"
    r"interventions|warnings?|precautions?",
    re.I,
)
_VERB = re.compile(
    r"\b(?:may|can|could|might|will|would|is|are|was|were|has|have|had|does|do|appears?|"
    r"seems?|shows?|remains?|requires?|provides?|offers?|causes?|increases|reduces|leads?|"
    r"results?)\b",
    re.I,
)

# Suggested kind: the first family whose words the sentence uses, in this order (a sentence
# about adverse events that also mentions a dose is about safety).
_KIND_WORDS = [
    (
        ClaimKind.SAFETY,
        r"side[- ]effects?|adverse|safety|\bsafe\b|toxic|contraindicat|interact|\brisks?\b|"
        r"\bharm|death|dying|mortality|seizure|allerg|caution|sensitiv|reactions?|tolerat\w*|"
        r"headaches?|dizz\w*|nausea|vomit\w*|insomnia|\brash",
    ),
    (
        ClaimKind.REGULATORY,
        r"\bapprov\w*|licen[cs]ed|prescription|regulat\w*|\bFDA\b|\bEMA\b|\blegal|registered|"
        r"banned|controlled substance",
    ),
    (
        ClaimKind.DOSING,
        r"\b\d+(?:[.,]\d+)?\s*(?:[-\u2013]\s*\d+\s*)?(?:ml|mg|mcg|µg|iu)\b|\bdos(?:e|es|age|ing)\b|"
        r"\bdaily\b|\binject\w*|intramuscular|intravenous|\badminist\w*|\bcycles?\b|"
        r"course of treatment|half-life|\boral(?:ly)?\b",
    ),
    (
        ClaimKind.MECHANISM,
        r"mechanism|works? (?:by|as)|\bcontains?\b|derived|peptides?|neurotrophic factors?|"
        r"\bBDNF\b|\bGDNF\b|\bNGF\b|\bCNTF\b|pathways?|receptors?|blood-brain barrier|"
        r"synthesis|modulat\w*|oxidative|free radicals?|amyloid|\bAPP\b|neurotransmitter|"
        r"synap\w*|apoptosis|inflammat\w*|metabolism|mitochondria\w*|neuroplasticity",
    ),
    (
        ClaimKind.BENEFIT,
        r"improv\w*|enhanc\w*|benefi\w*|reduc\w*|increas\w*|protect\w*|promot\w*|help\w*|"
        r"support\w*|boost\w*|better|efficac\w*|effective\w*|outcomes?|recover\w*|treat\w*|"
        r"therap\w*|slow\w*|prevent\w*|restor\w*|memory|cognit\w*|focus|mood|"
        r"\bcur(?:es?|ed|ing)\b|feels? the difference|first choice|nootropic|"
        r"works? for (?:everyone|anyone|all)\b",
    ),
]
_KIND_RES = [(kind, re.compile(words, re.I)) for kind, words in _KIND_WORDS]
_CLAIM_CUE = re.compile(
    "|".join(f"(?:{words})" for _, words in _KIND_WORDS)
    + r"|effects?\b|neur\w*|brain|onset|within|weeks?|hours?|compared|unlike|than\b|"
    r"nootropic\w*|studies|shown|suggest\w*|users?\b|patients?\b"
    # Sweeping promises with no hedge and no citation are still claims.
    r"|\bcur(?:es?|ed|ing)\b|\bguarantee\w*|\beveryone\b|\banyone\b|\bfirst choice\b|"
    r"\bthe best\b|\bmost effective\b|\bworks? for\b|\bdisease\b|\binjur\w*",
    re.I,
)


# Outcomes that read like harms but are claimed as effects: fewer deaths is a benefit ("lowers
# mortality", "does not reduce deaths" claims the same outcome), and neurons spared from dying
# or inflammation is how it would work, not a side effect.
_FEWER_DEATHS = re.compile(
    r"\b(?:reduc\w*|lower\w*|prevent\w*|decreas\w*|cut\w*|fewer|less likely to die)\b"
    r"[^.;]{0,40}\b(?:deaths?|dying|die|mortality)\b",
    re.I,
)
_NEUROPROTECTION = re.compile(
    r"\bneuro-?protect\w*|\b(?:nerve|neuronal|nerve cell|brain cell|cell) death\b|"
    r"\bneuroinflammation\b|\bapoptosis\b|\bprotects? (?:neurons|nerve cells|brain cells)\b",
    re.I,
)


def suggest_kind(sentence: str, context: str = "") -> str:
    """A first guess at the claim's kind, for the editor to confirm."""
    if _NEUROPROTECTION.search(sentence) and not re.search(
        r"side[- ]effects?|adverse", sentence, re.I
    ):
        return ClaimKind.MECHANISM.value
    if _FEWER_DEATHS.search(sentence):
        return ClaimKind.BENEFIT.value
    for text in (sentence, context):
        for kind, pattern in _KIND_RES:
            if pattern.search(text):
                return kind.value
    return ClaimKind.OTHER.value


def _is_advice(sentence: str) -> bool:
    body = _LABEL.sub("", sentence, count=1)
    advice = bool(_ADVICE_START.match(sentence) or _ADVICE_START.match(body))
    advice = advice or bool(_ADVICE_ANY.search(sentence))
    return advice and not _DOSE_QUANTITY.search(sentence)


def is_claim(sentence: str, block: Block, lead_in: str) -> bool:
    """Whether an uncited sentence states something checkable about the compound.

    Deliberately a short list of readable rules (see the module's report for precision and
    recall on the seed article): editors review every proposed claim anyway.
    """
    if block.kind not in ("paragraph", "item") or not sentence:
        return False
    if sentence.endswith("?") or _META.search(sentence) or BIO.search(sentence):
        return False
    if _UNKNOWN.search(sentence) or _is_advice(sentence):
        return False
    if block.kind == "paragraph":
        if sentence[0].islower() or not TERMINAL.search(sentence):
            return False  # a fragment (a line broken off its sentence) or a stray heading
        if sentence.endswith(":"):
            return bool(RATE.search(sentence))  # a list's lead-in, unless it states a rate
        return bool(_CLAIM_CUE.search(sentence))
    if _HARM_LEAD_IN.search(lead_in):
        # Items of a side-effect or contraindication list ("Headache") name a symptom, they
        # promise nothing; those that make a statement ("Age: Elderly individuals may be...") do.
        return bool(_VERB.search(_LABEL.sub("", sentence, count=1)))
    return bool(_CLAIM_CUE.search(sentence))
