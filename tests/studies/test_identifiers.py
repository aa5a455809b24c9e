"""One normaliser for PMIDs and DOIs, whatever form a person or a record gives them in."""

import pytest

from studies.identifiers import normalise_doi, normalise_pmcid, normalise_pmid, parse_identifier


@pytest.mark.parametrize(
    "given",
    [
        "10.1056/NEJMoa1210384",
        "  10.1056/nejmoa1210384\n",
        "doi:10.1056/NEJMoa1210384",
        "DOI: 10.1056/NEJMoa1210384",
        "https://doi.org/10.1056/NEJMoa1210384",
        "http://dx.doi.org/10.1056/NEJMoa1210384",
        "https://doi.org/10.1056%2FNEJMoa1210384",
        "doi.org/10.1056/NEJMoa1210384",
    ],
)
def test_every_written_form_of_a_doi_normalises_to_one_value(given):
    assert normalise_doi(given) == "10.1056/nejmoa1210384"


def test_doi_suffixes_keep_their_odd_characters():
    # A real SICI-style DOI from tests/data/pubmed/biopython_pubmed1.xml, and the <>;: kind.
    assert normalise_doi("10.1016/0005-2795(76)90109-4") == "10.1016/0005-2795(76)90109-4"
    odd = "10.5555/(SICI)1099-0000(200301)5:1<1::AID-CON1>3.0.CO;2-X"
    assert normalise_doi(odd) == odd.lower()
    assert normalise_doi("https://doi.org/10.5555/a%3Cb%3E%23c") == "10.5555/a<b>#c"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        "10.123/abc",
        "10.1234567890/abc",
        "11.1234/abc",
        "10.1234/",
        "10.1234/a b",
        "https://example.org/10.1234/abc",
        "pmid:123",
    ],
)
def test_anything_else_is_refused_with_a_readable_message(bad):
    with pytest.raises(ValueError, match="Not a valid DOI"):
        normalise_doi(bad)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("23121403", "23121403"),
        (23121403, "23121403"),
        (" 9997 ", "9997"),
        ("PMID: 23121403", "23121403"),
        ("https://pubmed.ncbi.nlm.nih.gov/23121403/", "23121403"),
        ("https://pubmed.ncbi.nlm.nih.gov/23121403", "23121403"),
        ("https://www.ncbi.nlm.nih.gov/pubmed/23121403", "23121403"),
        ("00123", "123"),
    ],
)
def test_pmids_normalise_to_bare_digits(given, expected):
    assert normalise_pmid(given) == expected


@pytest.mark.parametrize("bad", ["", "0", "1234567890", "12a", "-5", "https://example.org/123/"])
def test_bad_pmids_are_refused(bad):
    with pytest.raises(ValueError, match="Not a valid PMID"):
        normalise_pmid(bad)


def test_pmcid_is_prefixed_form():
    assert normalise_pmcid("PMC5442267") == "PMC5442267"
    assert normalise_pmcid("5442267") == "PMC5442267"
    with pytest.raises(ValueError, match="PMCID"):
        normalise_pmcid("NIHMS857349")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("23121403", ("pmid", "23121403")),
        ("PMID 23121403", ("pmid", "23121403")),
        ("https://pubmed.ncbi.nlm.nih.gov/23121403/", ("pmid", "23121403")),
        ("10.1056/NEJMoa1210384", ("doi", "10.1056/nejmoa1210384")),
        ("doi:10.1056/NEJMoa1210384", ("doi", "10.1056/nejmoa1210384")),
        ("https://doi.org/10.1056/NEJMoa1210384", ("doi", "10.1056/nejmoa1210384")),
    ],
)
def test_user_input_is_recognised_as_pmid_or_doi(text, expected):
    assert parse_identifier(text) == expected


@pytest.mark.parametrize("text", ["", "aspirin", "https://example.org/paper", "12345678901"])
def test_user_input_that_is_neither_gets_a_message_naming_both_forms(text):
    with pytest.raises(ValueError, match=r"PMID|DOI"):
        parse_identifier(text)


@pytest.mark.parametrize(
    "typed",
    [
        "10.1056/NEJMoa1210384\u202e",  # right-to-left override
        "10.1056/\u202eNEJMoa1210384",
        "10.1056/NEJM\u200boa1210384",  # zero-width space
        "\u206610.1056/NEJMoa1210384\u2069",  # isolates
        "https://doi.org/10.1056%2FNEJMoa1210384%E2%80%AE",  # the override URL-encoded
        "10.1056/NEJMoa\u00ad1210384",  # soft hyphen
    ],
)
def test_a_doi_with_a_control_or_direction_character_is_refused(typed):
    with pytest.raises(ValueError, match=r"invisible character U\+[0-9A-F]{4}"):
        normalise_doi(typed)
    with pytest.raises(ValueError, match="invisible character"):
        parse_identifier(typed)


@pytest.mark.parametrize("typed", ["2312\u202e1403", "23121403\u200b", "\u0662\u0663\u0661"])
def test_a_pmid_with_hidden_characters_or_other_digits_is_refused(typed):
    with pytest.raises(ValueError, match="Not a valid PMID"):
        normalise_pmid(typed)
