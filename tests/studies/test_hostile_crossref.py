"""Crossref JSON with values of the wrong type (issue 15): every variant ends in a ParseError
naming the field, and nothing is stored; never a TypeError, an AttributeError, a
RecursionError, or a wrong value stored silently ("date-parts": "2020" used to become year 2).

Each variant is the real reply tests/data/crossref/habanero_works_10.1038_srep16696.json with
one value replaced (constructed); the generated ones come from hypothesis."""

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from studies_testdata import CROSSREF

from studies import limits
from studies.crossref_json import map_work
from studies.formats import parse_file
from studies.importer import import_records
from studies.models import Study
from studies.records import ParseError

REAL = json.loads((CROSSREF / "habanero_works_10.1038_srep16696.json").read_text())

# (field replaced in the work, its wrong value, the field the message names)
VARIANTS = [
    ("title", 5, "title"),
    ("title", {"a": 1}, "title"),
    ("title", [["nested"]], "title"),
    ("title", [1], "title"),
    ("container-title", [{"x": 1}], "container-title"),
    ("abstract", ["x"], "abstract"),
    ("abstract", {"p": "x"}, "abstract"),
    ("abstract", 5, "abstract"),
    ("author", "Smith", "author"),
    ("author", ["Smith"], "author"),
    ("author", {"family": "Smith"}, "author"),
    ("author", [{"family": 5}], "author 1: family"),
    ("author", [{"given": ["A"], "family": "Smith"}], "author 1: given"),
    ("author", [{"family": "Smith", "ORCID": {"id": 1}}], "author 1: ORCID"),
    ("issued", "2020", "issued"),
    ("issued", 2020, "issued"),
    ("issued", {"date-parts": "2020"}, "issued.date-parts"),
    ("issued", {"date-parts": [2020]}, "issued.date-parts"),
    ("issued", {"date-parts": [["twenty"]]}, "issued.date-parts"),
    ("issued", {"date-parts": [[20200]]}, "issued.date-parts"),
    ("issued", {"date-parts": [[True]]}, "issued.date-parts"),
    ("volume", [1], "volume"),
    ("volume", True, "volume"),
    ("issue", {"n": 1}, "issue"),
    ("page", ["1-2"], "page"),
    ("DOI", 5, "DOI"),
    ("DOI", ["10.1038/srep16696"], "DOI"),
    ("type", 5, "type"),
    ("language", {"en": True}, "language"),
    ("updated-by", "retraction", "updated-by"),
    ("updated-by", ["retraction"], "updated-by"),
    ("updated-by", [{"type": 5}], "updated-by: type"),
    ("update-to", {"type": "retraction"}, "update-to"),
]


def _reply(work: dict) -> bytes:
    return json.dumps({**REAL, "message": work}).encode()


def _refused(body: bytes, field: str) -> None:
    with pytest.raises(ParseError) as refused:
        import_records(parse_file(io.BytesIO(body), name="reply.json"))
    assert f"'{field}' should be" in str(refused.value) or field in str(refused.value)
    assert str(refused.value).startswith("reply.json: ")


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value", "named"), VARIANTS)
def test_a_value_of_the_wrong_type_is_refused_naming_its_field(field, value, named):
    _refused(_reply({**REAL["message"], field: value}), named)
    assert Study.objects.count() == 0


@pytest.mark.django_db
def test_the_real_reply_still_imports_and_a_year_as_digits_is_read():
    work = {**REAL["message"], "issued": {"date-parts": [["2015"]]}}
    import_records(parse_file(io.BytesIO(_reply(work)), name="reply.json"))
    study = Study.objects.get()
    assert (study.doi, study.year) == ("10.1038/srep16696", 2015)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (
            json.dumps({"status": "ok", "message-type": "work", "message": "x"}).encode(),
            "holds no works",
        ),
        (
            json.dumps(
                {"status": "ok", "message-type": "work-list", "message": {"items": "x"}}
            ).encode(),
            "'message.items' should be a list of works",
        ),
        (
            json.dumps(
                {"status": "ok", "message-type": "work-list", "message": {"items": [5]}}
            ).encode(),
            "'work' should be an object",
        ),
        (b'{"DOI": "10.1038/srep16696", "title": "\xff"}', "not valid JSON"),
    ],
)
def test_broken_envelopes_are_refused_clearly(body, message):
    with pytest.raises(ParseError, match=message):
        import_records(parse_file(io.BytesIO(body), name="reply.json"))
    assert Study.objects.count() == 0


def test_a_file_over_the_limit_is_refused_before_it_is_parsed(monkeypatch):
    monkeypatch.setattr(limits, "CROSSREF_FILE", 1000)
    body = json.dumps([REAL["message"]] * 50).encode()
    source = io.BufferedReader(io.BytesIO(body))
    with pytest.raises(ParseError, match=r"split it into smaller files\. Nothing was imported"):
        list(parse_file(source, name="big.json"))
    # It stopped reading just past the limit (and the read-ahead of a buffer), not at the end.
    assert source.raw.tell() < 1001 + 16_384 < len(body)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = st.sampled_from(
    [
        "title",
        "container-title",
        "abstract",
        "author",
        "issued",
        "published-print",
        "volume",
        "issue",
        "page",
        "type",
        "language",
        "updated-by",
        "update-to",
        "DOI",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(FIELDS, JSON, min_size=1, max_size=4))
def test_any_json_value_in_any_field_maps_or_is_refused_naming_it(replaced):
    try:
        record = map_work({**REAL["message"], **replaced})
    except ParseError as exc:
        refused = str(exc)
    else:
        refused = None
    if refused is not None:
        assert any(f"'{field}" in refused for field in replaced) or "DOI" in refused
        return
    assert isinstance(record.title, str)
    assert isinstance(record.abstract, str)
    assert record.year is None or 1000 <= record.year <= 2999
    assert all(isinstance(value, str) for a in record.authors for value in a.values())
    assert all(isinstance(v, str) for v in (record.volume, record.issue, record.pages))
