"""`import_article --dry-run` tells a person what the seed article holds, on an empty database."""

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
