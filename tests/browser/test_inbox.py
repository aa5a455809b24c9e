"""An editor works through the new-evidence inbox in the browser: one click adds a study the
watch found to the claim it most likely bears on (the entry changes in place, by htmx), one
click dismisses another. The studies are real PubMed records (tests/data/pubmed); the claims
are the Cerebrolysin demo's."""

import pytest
from editor_support import PASSWORD, PUBMED_DATA
from playwright.sync_api import Page, expect

from kb.demo import load_demo
from kb.models import Evidence, NewEvidence
from kb.services import inbox
from studies.importer import import_records
from studies.models import Study
from studies.pubmed_xml import parse_pubmed_xml

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def found(transactional_db, editor):
    compound = load_demo().compound
    for name in ("metapub_pmid_35358095.xml", "eutils_efetch_23121403.xml"):
        with open(PUBMED_DATA / name, "rb") as handle:
            import_records(parse_pubmed_xml(handle))
    studies = list(Study.objects.filter(pmid__in=["35358095", "23121403"]).order_by("pmid"))
    return inbox.record_found(compound, studies)


def test_an_editor_weighs_one_study_and_dismisses_another(page: Page, found):
    aspirin, stroke = found  # by PMID: 23121403, 35358095
    page.goto("/accounts/login/?next=/editor/inbox/")
    page.get_by_label("Username").fill("edith")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Waiting for an editor (2)")).to_be_visible()

    entry = page.locator(f"#new-evidence-{stroke.pk}")
    proposed = stroke.proposed[0]["statement"]
    expect(entry.get_by_role("radio", name=proposed)).to_be_checked()
    entry.get_by_role("button", name="Add as evidence to weigh").click()
    expect(page.locator(f"#new-evidence-{stroke.pk}")).to_contain_text("as evidence to weigh.")
    assert page.url.endswith("/editor/inbox/")  # swapped in place, no page load
    assert Evidence.objects.filter(
        claim_id=stroke.proposed[0]["claim"], study=stroke.study
    ).exists()

    other = page.locator(f"#new-evidence-{aspirin.pk}")
    expect(other).to_contain_text("No claim of Cerebrolysin shares enough words with it")
    other.get_by_role("button", name="Dismiss").click()
    expect(page.locator(f"#new-evidence-{aspirin.pk}")).to_contain_text("Dismissed.")
    assert NewEvidence.objects.get(pk=aspirin.pk).status == "dismissed"
