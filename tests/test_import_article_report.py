"""`import_article` reports: --dry-run tells a person what the seed article holds, on an empty
database; --json gives each proposed claim of the constructed second page its matches among the
demo's claims, and saving attaches the preselected ones."""

import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from kb.models import Claim, Reference, Source
from studies.models import Study

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "cerebrolysin-article.txt"

pytestmark = pytest.mark.django_db


def test_dry_run_lists_the_nine_references_and_citation_sites_and_stores_nothing(capsys):
    assert not Study.objects.exists()
    call_command("import_article", str(SEED), "--compound", "cerebrolysin", "--dry-run")
    out = capsys.readouterr().out
    references = re.findall(r"^  \[(\d)\] DOI (\S+)$", out, re.MULTILINE)
    assert [int(n) for n, _ in references] == list(range(1, 10))
    assert ("1", "10.1111/j.1747-4949.2012.00901.x") in references
    assert ("9", "10.1590/acb370605") in references
    sites = re.findall(r"^  \((\d)\) (.+)$", out, re.MULTILINE)
    assert [int(n) for n, _ in sites] == list(range(1, 10))
    assert dict(sites)["6"] == (
        "It promotes the formation of new neural connections, thereby improving cognitive "
        "capabilities."
    )
    assert "We recommend purchasing Cerebrolysin from CosmicNootropic." in out
    assert not Source.objects.exists()
    assert not Reference.objects.exists()
    assert not Claim.objects.exists()


SECOND_PAGE = Path(__file__).resolve().parent / "data" / "articles" / "constructed-second-page.html"


def test_json_gives_each_proposed_claim_its_matches_ranked_before_saving(capsys):
    from test_second_page import NEW_PROPOSITIONS, NOT_PRESELECTED, RESTATES

    from kb.demo import load_demo
    from kb.models import Appearance

    load_demo()
    before = Claim.objects.count()
    call_command(
        "import_article", str(SECOND_PAGE), "--compound", "cerebrolysin", "--json", "--dry-run"
    )
    out, err = capsys.readouterr()
    dry = json.loads(out)  # stdout is exactly one JSON document
    assert Claim.objects.count() == before
    assert not Source.objects.filter(title__contains="constructed test page").exists()
    by_quote = {c["quote"]: c["matches"] for c in dry["claims"]}
    statements = dict(Claim.objects.values_list("pk", "statement"))
    for quote, statement in RESTATES.items():
        best = by_quote[quote][0]
        assert set(best) == {"claim", "statement", "score"}
        assert (statements[best["claim"]], best["statement"]) == (statement, statement)
    for matches in by_quote.values():
        assert [m["score"] for m in matches] == sorted((m["score"] for m in matches), reverse=True)

    call_command("import_article", str(SECOND_PAGE), "--compound", "cerebrolysin", "--json")
    out, err = capsys.readouterr()
    saved = json.loads(out)
    # Ranked before saving: nobody matches the claim their own save made.
    assert saved == dry
    assert "12 sentences attached to existing claims, 4 new draft claims, 0 already there." in err
    appearances = {a.quote: a.claim for a in Appearance.objects.select_related("claim")}
    for quote, statement in RESTATES.items():
        expected = quote if quote in NOT_PRESELECTED else statement
        assert appearances[quote].statement == expected
    for quote in NEW_PROPOSITIONS:
        assert appearances[quote].statement == quote
    assert Claim.objects.count() == before + 4


def test_json_matches_are_empty_without_a_compound_or_anything_similar(capsys):
    call_command("import_article", str(SECOND_PAGE), "--json")
    out, err = capsys.readouterr()
    assert {len(c["matches"]) for c in json.loads(out)["claims"]} == {0}
    assert "Nothing saved" in err
    # A dry run about a compound not stored yet: no matches, nothing saved, no error.
    call_command(
        "import_article", str(SECOND_PAGE), "--compound", "cerebrolysin", "--json", "--dry-run"
    )
    out, err = capsys.readouterr()
    assert {len(c["matches"]) for c in json.loads(out)["claims"]} == {0}
    assert "No compound 'cerebrolysin' stored yet" in err
    assert not Source.objects.exists()
