"""Which of a compound's claims a newly imported sentence most likely restates.

Three signals, each in 0..1:
  * trigram: PostgreSQL trigram similarity of the sentence to the claim's statement or to the
    quote of one of its existing appearances, whichever is higher (catches the same words in
    another order, and a page repeating another page's sentence);
  * text: the share of the statement's words (stemmed by PostgreSQL's English text search, stop
    words and the compound's own name left out) that the sentence uses: a restatement has to say
    what the statement says, however many words it adds;
  * studies: the share of the stored studies the sentence cites that the claim already weighs.
    Only a hint: one review is weighed for many claims, so it can at most break a tie.
`score` combines them (a plain function, tested without a database); `rank_claims` asks
PostgreSQL for the signals in one query per sentence.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchVector, TrigramSimilarity
from django.db.models import Count, F, FloatField, Func, OuterRef, Q, Subquery, TextField, Value
from django.db.models.functions import Coalesce, Greatest

from kb.models import Appearance, Claim
from studies.limits import SearchText

# Measured on the demo (59 claims) with the constructed second page
# (tests/data/articles/constructed-second-page.html, 13 restatements and 3 new propositions;
# tests/test_matching.py): every restatement ranks its claim first; the right claims score
# 0.53-1.0 except one loose paraphrase ("cannot be swallowed as a pill: it has to be injected
# into a muscle or a vein", 0.31, offered first but not preselected), and the best match of a
# new proposition scores at most 0.29. The threshold sits in that gap, so the preselection alone
# attaches 12 of the 13 restatements to the right claim and nothing to a new proposition. On the
# seed page, each curated sentence matched against its claim's other sentences only, 60 of 66
# are preselected right.
PRESELECT_AT = 0.4
MAX_MATCHES = 5
# Below this a claim shares little more than the compound's vocabulary: not offered at all.
OFFER_AT = 0.2

WEIGHTS = {"trigram": 0.4, "text": 0.4, "studies": 0.1}
CONFIG = "english"


@dataclass(frozen=True)
class Match:
    claim: int
    statement: str
    score: float

    def as_json(self) -> dict:
        return {"claim": self.claim, "statement": self.statement, "score": self.score}


def _unit(value: float) -> float:
    return max(0.0, min(float(value), 1.0))


def score(*, trigram: float, text: float, studies: float | None) -> float:
    """One number from the signals. `studies` is None when there is nothing to compare (the
    sentence cites no stored study, or the claim weighs none yet): the text signals then carry
    the whole weight, as most marketing sentences cite nothing."""
    parts = [(WEIGHTS["trigram"], _unit(trigram)), (WEIGHTS["text"], _unit(text))]
    if studies is not None:
        parts.append((WEIGHTS["studies"], _unit(studies)))
    return round(sum(w * v for w, v in parts) / sum(w for w, _ in parts), 3)


def coverage(statement_words: Iterable[str], sentence_words: Iterable[str], *, ignore=()) -> float:
    """The share of the statement's words that the sentence uses, words in `ignore` (the
    compound's name) left out of both; 0 for a statement with no other words."""
    ignore = set(ignore)
    wanted = set(statement_words) - ignore
    if not wanted:
        return 0.0
    return len(wanted & (set(sentence_words) - ignore)) / len(wanted)


def preselected(matches: list[Match]) -> int | None:
    """The claim the preview attaches the sentence to unless the editor says otherwise."""
    return matches[0].claim if matches and matches[0].score >= PRESELECT_AT else None


def _lexemes(expression) -> Func:
    """PostgreSQL's stemmed words of a text, stop words dropped."""
    return Func(
        SearchVector(SearchText(expression), config=CONFIG),
        function="tsvector_to_array",
        output_field=ArrayField(TextField()),
    )


def rank_claims(
    compound, sentence: str, cited_studies: Iterable[int] = (), *, exclude: Iterable[int] = ()
) -> list[Match]:
    """The compound's claims the sentence most likely restates, best first (at most
    MAX_MATCHES, none below OFFER_AT). `cited_studies`: ids of the stored studies the sentence
    cites."""
    sentence = " ".join(sentence.split())
    if not sentence or compound is None:
        return []
    cited = sorted(set(cited_studies))
    name = " ".join([compound.name, *compound.aliases])
    quote_similarity = (
        Appearance.objects.filter(claim=OuterRef("pk"))
        .annotate(similarity=TrigramSimilarity("quote", sentence))
        .order_by("-similarity")
        .values("similarity")[:1]
    )
    rows = (
        Claim.objects.filter(compound=compound)
        .exclude(pk__in=list(exclude))
        .annotate(
            statement_similarity=TrigramSimilarity("statement", sentence),
            quote_similarity=Coalesce(
                Subquery(quote_similarity, output_field=FloatField()), Value(0.0)
            ),
            trigram=Greatest(F("statement_similarity"), F("quote_similarity")),
            statement_words=_lexemes("statement"),
            sentence_words=_lexemes(Value(sentence, output_field=TextField())),
            name_words=_lexemes(Value(name, output_field=TextField())),
            weighed=Count("evidence", distinct=True),
            shared=Count("evidence", filter=Q(evidence__study_id__in=cited), distinct=True),
        )
        .values_list(
            "pk",
            "statement",
            "trigram",
            "statement_words",
            "sentence_words",
            "name_words",
            "weighed",
            "shared",
        )
    )
    matches = []
    for pk, statement, trigram, words, sentence_words, name_words, weighed, shared in rows:
        value = score(
            trigram=trigram or 0.0,
            text=coverage(words or (), sentence_words or (), ignore=name_words or ()),
            studies=shared / len(cited) if cited and weighed else None,
        )
        if value >= OFFER_AT:
            matches.append(Match(claim=pk, statement=statement, score=value))
    matches.sort(key=lambda m: (-m.score, m.claim))
    return matches[:MAX_MATCHES]
