"""suggest_design on every real record, and its stated precedence."""

import pytest
from studies_testdata import MEDLINE_FILES, PUBMED_XML_FILES

from studies.designs import Design, suggest_design
from studies.medline import parse_medline
from studies.pubmed_xml import parse_pubmed_xml

# What PubMed's own indexing of each real record in tests/data/pubmed suggests.
EXPECTED = {
    "12091962": Design.OPINION,  # Review
    "9997": None,  # Journal Article, no species tags
    "11748933": Design.ANIMAL,  # Animals, no Humans (fish spermatozoa)
    "11700088": None,  # not indexed for MEDLINE
    "27797938": Design.CASE_SERIES,  # Observational Study + Case-Control Studies
    "28775130": None,  # In-Data-Review, no MeSH yet
    "20412080": Design.OPINION,  # Review
    "22528466": None,  # Journal Article with Humans
    "23121403": Design.RCT,  # Randomized Controlled Trial + Multicenter Study
    "24449692": None,
    "26568896": None,  # cell-line study, but not indexed: nothing to go on
    "32051057": Design.OPINION,  # Review with Animals and Humans: still a narrative review
    "33856845": Design.SYSTEMATIC_REVIEW,
    "34529508": Design.OPINION,  # Editorial + Comment
    "35358095": None,  # Animals and Humans: mixed, an editor decides
    "37729413": Design.SYSTEMATIC_REVIEW,  # Meta-Analysis listed before Journal Article
    "38329942": None,
    # MEDLINE text records
    "12230038": None,
    "16403221": None,  # Evaluation Studies
    "16377612": None,
    "14871861": None,  # Comparative Study of software, no Humans tag
    "14630660": None,
}


def real_records():
    for path in PUBMED_XML_FILES:
        with open(path, "rb") as handle:
            yield from parse_pubmed_xml(handle)
    for path in MEDLINE_FILES:
        with open(path, "rb") as handle:
            yield from parse_medline(handle)


def test_every_real_record_gets_the_expected_suggestion():
    got = {r.pmid: suggest_design(r.publication_types, r.mesh_terms) for r in real_records()}
    assert got == EXPECTED


@pytest.mark.parametrize(
    ("types", "mesh", "expected"),
    [
        (["Review", "Meta-Analysis"], [], Design.SYSTEMATIC_REVIEW),
        (["Systematic Review", "Review"], [], Design.SYSTEMATIC_REVIEW),
        (["Comment", "Randomized Controlled Trial"], ["Humans"], Design.RCT),
        (["Randomized Controlled Trial, Veterinary"], ["Animals", "Dogs"], Design.ANIMAL),
        (["Review"], ["Animals", "Mice"], Design.OPINION),
        (["Letter"], [], Design.OPINION),
        (["Editorial"], [], Design.OPINION),
        (["Journal Article"], ["Animals", "Rats"], Design.ANIMAL),
        (["Journal Article"], ["Animals", "Humans"], None),
        (["Controlled Clinical Trial"], ["Humans"], Design.NON_RANDOMISED),
        (["Clinical Trial, Phase II"], ["Humans"], Design.NON_RANDOMISED),
        (["Clinical Trial"], ["Humans", "Cells, Cultured"], Design.NON_RANDOMISED),
        (["Journal Article"], ["Humans", "Cell Line, Tumor"], Design.IN_VITRO),
        (["Journal Article"], ["In Vitro Techniques"], Design.IN_VITRO),
        (["Comparative Study"], ["Humans"], Design.NON_RANDOMISED),
        (["Comparative Study"], ["Software"], None),
        (["Observational Study"], ["Humans", "Case-Control Studies"], Design.CASE_SERIES),
        (["Observational Study"], ["Humans", "Prospective Studies"], Design.NON_RANDOMISED),
        (["Observational Study"], ["Humans"], Design.CASE_SERIES),
        (["Case Reports"], ["Humans"], Design.CASE_SERIES),
        (["Journal Article"], ["Humans"], None),
        (["Published Erratum"], [], None),
        ([], [], None),
    ],
)
def test_precedence(types, mesh, expected):
    assert suggest_design(types, mesh) == expected
