"""Limits that hold at every door (issue 15): each text field's size is decided once
(studies.limits) and refused over it at import and in the editors' forms, with a clear message
and nothing written; search reads a bounded text, so no row can break it; a claim always has a
statement in words, and its pages render in every state a claim can be in.

Records over a limit are constructed from the real record in
tests/data/pubmed/eutils_efetch_23121403.xml (only the title or abstract is lengthened)."""

from dataclasses import replace
from itertools import cycle, product

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from editor_support import HTMX, post, url

from kb.articles import extract_article
from kb.editor.forms import ClaimForm, EvidenceForm, JudgementsForm, OverrideForm
from kb.models import Appearance, Claim, Source
from kb.relevance import likely_claims
from kb.services.articles import save_article
from kb.services.errors import Refused
from kb.vocabulary import Certainty, ClaimStatus, Verdict
from studies import limits
from studies.formats import parse_file
from studies.importer import import_batch
from studies.models import Study

pytestmark = pytest.mark.django_db

REAL = "eutils_efetch_23121403.xml"


def distinct_words(length: int) -> str:
    """Text of exactly `length` characters in words that are all different: the largest
    tsvector a text of that length can make."""
    words, size, n = [], 0, 0
    while size < length:
        word = f"w{n:x}z"
        words.append(word)
        size += len(word) + 1
        n += 1
    return " ".join(words)[:length]


@pytest.fixture
def real_record():
    from editor_support import PUBMED_DATA

    with open(PUBMED_DATA / REAL, "rb") as handle:
        (record,) = parse_file(handle, name=REAL)
    return record


@pytest.mark.parametrize(
    ("field", "limit"), [("title", limits.TITLE), ("abstract", limits.ABSTRACT)]
)
def test_a_record_at_the_limit_is_imported_one_over_it_refused_and_search_still_works(
    client, real_record, field, limit
):
    at_limit = replace(real_record, **{field: distinct_words(limit - 9) + " ximelagz"})
    assert len(getattr(at_limit, field)) == limit
    result = import_batch([at_limit])
    assert result.created == 1

    over = replace(real_record, pmid="23121404", doi=None, **{field: distinct_words(limit + 1)})
    before = Study.history.count()
    result = import_batch([over])
    assert (result.created, result.failed) == (0, 1)
    assert result.problems == [
        f"PMID 23121404: not imported. Its {field} is {limit + 1:,} characters long; the limit "
        f"is {limit:,}."
    ]
    assert not Study.objects.filter(pmid="23121404").exists()
    assert Study.history.count() == before

    found = client.get(reverse("search"), {"q": "ximelagz"})
    assert found.status_code == 200
    assert list(found.context["studies"]) == [Study.objects.get(pmid="23121403")]


def test_one_huge_row_stored_before_the_limits_does_not_break_search(client, make_study):
    # What broke every search: one 2.6 MB abstract ("string is too long for tsvector").
    make_study(title="Aspirin after venous thromboembolism", abstract=distinct_words(2_600_000))
    claim_page_words = distinct_words(300_000)
    source = Source.objects.create(title="A constructed page")
    claim = Claim.objects.create(
        compound=_compound(),
        statement="Testolin prevents thromboembolism.",
        status=ClaimStatus.PUBLISHED,
    )
    # Many long sentences of one claim are searched as one text.
    for n in range(3):
        Appearance.objects.create(
            claim=claim, source=source, quote=f"{n} {claim_page_words}", position=n
        )

    found = client.get(reverse("search"), {"q": "thromboembolism"})
    assert found.status_code == 200
    assert [s.title for s in found.context["studies"]] == ["Aspirin after venous thromboembolism"]
    assert list(found.context["claims"]) == [claim]
    # The words of the bounded part still find the row.
    assert list(client.get(reverse("search"), {"q": "w0z"}).context["studies"])


def _compound():
    from kb.models import Compound

    return Compound.objects.get_or_create(name="Testolin", slug="testolin")[0]


# --- claims: a statement in words, within its limit ---------------------------------------


def test_the_database_refuses_a_claim_without_words():
    for statement in ("...", "  ", "(). —", ""):
        with pytest.raises(IntegrityError), transaction.atomic():
            Claim.objects.create(compound=_compound(), statement=statement)
    assert Claim.objects.create(compound=_compound(), statement="(1)").pk


ARTICLE = """Testolin improves memory in healthy adults (1).

(1).

...

References
1. Brighton TA, et al. Low-dose aspirin for preventing recurrent venous thromboembolism.
N Engl J Med. 2012. PMID: 23121403
"""


def test_a_sentence_without_words_stays_a_proposal_and_the_rest_is_saved():
    article = extract_article(ARTICLE, fmt="text")
    assert [c.quote for c in article.claims][1] == "."  # what "(1)." leaves
    result = save_article(article, compound=_compound())
    assert result.claims_created == 1
    assert list(Claim.objects.values_list("statement", flat=True)) == [
        "Testolin improves memory in healthy adults."
    ]
    assert any("has no words: it stays a proposal" in note for note in result.notes)
    # Importing it again adds nothing.
    again = save_article(extract_article(ARTICLE, fmt="text"), compound=_compound())
    assert (again.claims_created, Claim.objects.count()) == (0, 1)


def test_an_article_with_a_sentence_over_the_limit_is_refused_and_nothing_saved():
    long_sentence = "Testolin improves memory " + "and recall " * 200 + "in healthy adults."
    article = extract_article(f"{long_sentence}\n\nTestolin helps memory.\n", fmt="text")
    assert len(article.claims[0].quote) > limits.QUOTE
    counts = (Source.objects.count(), Claim.objects.count(), Appearance.objects.count())
    with pytest.raises(Refused, match=r"characters long; the limit is 2,000.*nothing was saved"):
        save_article(article, compound=_compound())
    assert (Source.objects.count(), Claim.objects.count(), Appearance.objects.count()) == counts


def test_a_sentence_at_the_limit_in_any_script_is_stored():
    # 2,000 characters of kanji are 6,000 bytes: more than a btree entry may hold, so the
    # database keeps a sentence unique by its hash.
    sentence = "記憶" * (limits.QUOTE // 2 - 1) + "です"
    assert len(sentence) == limits.QUOTE
    source = Source.objects.create(title="A constructed page")
    claim = Claim.objects.create(compound=_compound(), statement=sentence)
    Appearance.objects.create(claim=claim, source=source, quote=sentence)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appearance.objects.create(claim=claim, source=source, quote=sentence)


def test_editor_forms_refuse_wordless_and_oversized_text(draft_claim):
    version = draft_claim.version
    for statement, message in (
        ("...", "Write the proposition in words"),
        ("x" * (limits.STATEMENT + 1), "at most 2000 characters"),
    ):
        form = ClaimForm({"statement": statement, "version": version, "kind": "benefit"})
        assert not form.is_valid()
        assert message in str(form.errors["statement"])
    note = EvidenceForm({"ev1-version": version, "ev1-note": "n" * (limits.NOTE + 1)}, prefix="ev1")
    assert not note.is_valid()
    assert "at most 20000 characters" in str(note.errors["note"])
    judgements = JudgementsForm({"version": version, "imprecision_reason": "r" * (limits.NOTE + 1)})
    assert not judgements.is_valid()
    assert "at most 20000 characters" in str(judgements.errors["imprecision_reason"])
    override = OverrideForm({"version": version, "rationale": "r" * (limits.NOTE + 1)})
    assert not override.is_valid()
    assert "at most 20000 characters" in str(override.errors["rationale"])


def test_the_workbench_answers_a_wordless_statement_with_a_form_error(signed_in, draft_claim):
    response = post(signed_in, "update-claim", draft_claim, {"statement": "...", "kind": "benefit"})
    assert response.status_code == 200
    assert "Write the proposition in words" in response.content.decode()
    assert Claim.objects.get(pk=draft_claim.pk).statement == draft_claim.statement


# --- every state a claim can be in renders ----------------------------------------------


def test_claim_page_and_workbench_render_every_state(client, signed_in, draft_claim):
    anonymous = client.__class__()
    # Every verdict with every certainty (and none); drafts and published, with and without an
    # override, take turns.
    pairs = [
        (verdict, certainty)
        for verdict, certainty in product(Verdict.values, [None, *Certainty.values])
        if not (verdict == Verdict.UNGRADED and certainty)
    ]
    turns = cycle(product(ClaimStatus.values, (False, True)))
    states = [(*pair, *next(turns)) for pair in pairs]
    for verdict, certainty, status, override in states:
        Claim.objects.filter(pk=draft_claim.pk).update(
            verdict=verdict,
            computed_verdict=verdict,
            certainty=certainty,
            status=status,
            verdict_override=verdict if override and verdict != Verdict.UNGRADED else None,
            override_rationale="Constructed override." if override else "",
            statement="(1)" if override else "…the claim.",
        )
        state = (verdict, certainty, status, override)
        assert signed_in.get(url("claim", draft_claim)).status_code == 200, state
        assert signed_in.get(url("claim", draft_claim), **HTMX).status_code == 200, state
        public = anonymous.get(reverse("claim", args=[draft_claim.pk]))
        assert public.status_code == (200 if status == ClaimStatus.PUBLISHED else 404), state
    # Ungraded takes no certainty.
    assert len(states) == len(Verdict.values) * (1 + len(Certainty.values)) - len(Certainty.values)


def test_ranking_a_huge_study_against_claims_does_not_fail(make_study):
    # kb.relevance ranks a new study's title and abstract against a compound's claims; a study
    # stored before the limits (2.6 MB of abstract) must not make it fail.
    claim = Claim.objects.create(
        compound=_compound(), statement="Testolin prevents thromboembolism."
    )
    study = make_study(title="Testolin and thromboembolism", abstract=distinct_words(2_600_000))
    found = likely_claims(claim.compound_id, study)
    assert [row["claim"] for row in found] in ([], [claim.pk])
