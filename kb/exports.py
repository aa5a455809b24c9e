"""Downloads for researchers: a compound's published claims as CSV or JSON, and study citations
as RIS, BibTeX and CSL-JSON, for reference managers (Zotero, EndNote, Mendeley) and pandoc.

Only published claims are exported, whoever asks: a download leaves the site, so it never
carries an editor's unfinished work. The format writers are pure functions over studies and
claims; the views below them only choose the rows and set the download headers.
"""

import csv
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator

import bibtexparser
import rispy
from bibtexparser import model as bibtex
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe
from pylatexenc.latexencode import unicode_to_latex

from kb import api, published_state, selectors
from kb.models import Appearance, Claim, Compound
from kb.vocabulary import ClaimStatus, Verdict
from studies.models import Study

CSV_TYPE = "text/csv; charset=utf-8"
JSON_TYPE = "application/json"
RIS_TYPE = "application/x-research-info-systems; charset=utf-8"
BIBTEX_TYPE = "application/x-bibtex; charset=utf-8"
CSL_TYPE = "application/vnd.citationstyles.csl+json; charset=utf-8"

# --- claims, one row per appearance ------------------------------------------------------------

# A claim's grade is repeated on each row of a sentence that makes it; a claim no page makes
# has one row with empty appearance columns. The JSON rows carry the same fields (lists as lists,
# the evidence in full).
CLAIM_COLUMNS = (
    "claim_id",
    "claim_url",
    "compound",
    "statement",
    "topic",
    "population",
    "outcome",
    "kind",
    "verdict",
    "verdict_label",
    "certainty",
    "flags",
    "appearance_id",
    "quote",
    "source_title",
    "source_url",
    "references",
    "appearance_flags",
    "studies",
    "evidence",
)

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection, OWASP):
# such cells get a leading apostrophe, which spreadsheets show as text and hide.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value, with text that a spreadsheet would run as a formula made inert."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def study_identifier(study: Study) -> str:
    if study.pmid:
        return f"PMID:{study.pmid}"
    if study.doi:
        return f"DOI:{study.doi}"
    return f"study:{study.pk}"


def claim_appearances(claims: Iterable[Claim]) -> Iterator[tuple[Claim, Appearance | None]]:
    """(claim, appearance) for every appearance of every claim, in the claims' order and then
    the appearances' (`ordered_appearances`, prefetched by
    kb.selectors.claims_with_appearances); (claim, None) for a claim no page makes."""
    for claim in claims:
        appearances = claim.ordered_appearances or [None]
        for appearance in appearances:
            yield claim, appearance


def _references(appearance: Appearance) -> list[int]:
    return [citation.reference.number for citation in appearance.citations.all()]


def claim_row(claim: Claim, appearance: Appearance | None, claim_url: str) -> list:
    """One CSV row: the claim's grade, the appearance (empty cells without one) and the claim's
    evidence (`claim.ordered_evidence`, prefetched)."""
    evidence = claim.ordered_evidence
    source = appearance.source if appearance else None
    row = [
        claim.pk,
        claim_url,
        claim.compound.name,
        claim.statement,
        claim.topic.name if claim.topic else "",
        claim.population,
        claim.outcome,
        claim.kind,
        claim.verdict,
        Verdict(claim.verdict).label,
        claim.certainty or "",
        "; ".join(claim.flags),
        appearance.pk if appearance else "",
        appearance.quote if appearance else "",
        source.title if source else "",
        (source.url or "") if source else "",
        "; ".join(str(n) for n in _references(appearance)) if appearance else "",
        "; ".join(appearance.flags) if appearance else "",
        len(evidence),
        "; ".join(
            f"{study_identifier(ev.study)} ({ev.stance or 'not weighed'})" for ev in evidence
        ),
    ]
    return [safe_cell(value) for value in row]


class _Line:
    """A file for csv.writer that hands back each line written instead of keeping it."""

    def write(self, line: str) -> str:
        return line


def claims_csv_lines(claims: Iterable[Claim], url_for) -> Iterator[str]:
    """The claims as CSV lines with a header row, one row per appearance, a line at a time;
    `url_for(claim)` gives each claim's address."""
    writer = csv.writer(_Line())
    yield writer.writerow(CLAIM_COLUMNS)
    for claim, appearance in claim_appearances(claims):
        yield writer.writerow(claim_row(claim, appearance, url_for(claim)))


def claims_csv(claims: Iterable[Claim], url_for) -> str:
    return "".join(claims_csv_lines(claims, url_for))


def claim_record(claim: Claim, appearance: Appearance | None, claim_url: str) -> dict:
    """One JSON row: the CSV row's fields with lists as lists, the source as an object and the
    evidence in full (as in the API)."""
    source = appearance.source if appearance else None
    return {
        "claim_id": claim.pk,
        "claim_url": claim_url,
        "compound": claim.compound.name,
        "statement": claim.statement,
        "topic": claim.topic.slug if claim.topic else None,
        "population": claim.population,
        "outcome": claim.outcome,
        "kind": claim.kind,
        "verdict": claim.verdict,
        "verdict_label": Verdict(claim.verdict).label,
        "certainty": claim.certainty,
        "flags": list(claim.flags),
        "appearance_id": appearance.pk if appearance else None,
        "quote": appearance.quote if appearance else None,
        "source": {"id": source.pk, "title": source.title, "url": source.url} if source else None,
        "references": _references(appearance) if appearance else [],
        "appearance_flags": list(appearance.flags) if appearance else [],
        "evidence": [api.evidence_json(ev) for ev in claim.ordered_evidence],
    }


def claims_json_text(compound: Compound, claims: Iterable[Claim], url_for) -> Iterator[str]:
    """{"slug", "name", "rows": [one claim_record per appearance]} as indented JSON text, a row
    at a time (the same text json.dumps(..., indent=2) writes for the whole document)."""
    head = json.dumps(
        {"slug": compound.slug, "name": compound.name, "rows": []}, ensure_ascii=False, indent=2
    )
    empty = '"rows": []\n}'
    yield head[: -len(empty)] + '"rows": ['
    written = False
    for claim, appearance in claim_appearances(claims):
        row = json.dumps(
            claim_record(claim, appearance, url_for(claim)), ensure_ascii=False, indent=2
        )
        # A row is two levels deep in the document: every line of it indented by four.
        yield ("," if written else "") + "\n" + "\n".join("    " + line for line in row.split("\n"))
        written = True
    yield ("\n  ]" if written else "]") + "\n}\n"


def claims_json(compound: Compound, claims: Iterable[Claim], url_for) -> str:
    return "".join(claims_json_text(compound, claims, url_for))


# --- studies as citations ----------------------------------------------------------------------

RIS_TYPES = {
    Study.Kind.JOURNAL_ARTICLE: "JOUR",
    Study.Kind.BOOK_CHAPTER: "CHAP",
    Study.Kind.BOOK: "BOOK",
    Study.Kind.OTHER: "GEN",
}
BIBTEX_TYPES = {
    Study.Kind.JOURNAL_ARTICLE: "article",
    Study.Kind.BOOK_CHAPTER: "incollection",
    Study.Kind.BOOK: "book",
    Study.Kind.OTHER: "misc",
}
CSL_TYPES = {
    Study.Kind.JOURNAL_ARTICLE: "article-journal",
    Study.Kind.BOOK_CHAPTER: "chapter",
    Study.Kind.BOOK: "book",
    Study.Kind.OTHER: "article",
}
RETRACTED_NOTE = "Retracted"


def page_range(pages: str) -> tuple[str, str]:
    """(first, last) page. MEDLINE abbreviates the last page ("1234-40" is 1234 to 1240)."""
    first, _, last = (part.strip() for part in pages.replace("\u2013", "-").partition("-"))
    if first.isdigit() and last.isdigit() and len(last) < len(first):
        last = first[: len(first) - len(last)] + last
    return first, last


def _name(author: dict) -> str:
    """'Family, Given' (with ', Suffix' after the family name, BibTeX's order), or the group."""
    if author.get("collective"):
        return author["collective"]
    family = author.get("family") or ""
    parts = [family, author["suffix"]] if author.get("suffix") else [family]
    if author.get("given"):
        parts.append(author["given"])
    return ", ".join(part for part in parts if part)


def citation_keys(studies: list[Study]) -> dict[int, str]:
    """A BibTeX key per study (first author's family name + year, ASCII), unique in the list:
    the second Smith2020 becomes Smith2020a, the third Smith2020b."""
    keys, used = {}, set()
    for study in studies:
        first = study.authors[0] if study.authors else {}
        name = first.get("family") or first.get("collective") or "Anonymous"
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        base = (re.sub(r"[^A-Za-z0-9]", "", ascii_name) or "Anonymous")[:40]
        base += str(study.year) if study.year else "nd"
        key, suffix = base, 0
        while key in used:
            key = base + chr(ord("a") + suffix % 26) + ("" if suffix < 26 else str(suffix // 26))
            suffix += 1
        used.add(key)
        keys[study.pk] = key
    return keys


def study_ris(study: Study) -> dict:
    """A study as a rispy record (tag names spelled out, e.g. secondary_title is T2)."""
    first, last = page_range(study.pages)
    record = {
        "type_of_reference": RIS_TYPES.get(study.kind, "GEN"),
        "authors": [_name(author) for author in study.authors],
        "title": study.title,
        "secondary_title": study.journal,
        "year": str(study.year) if study.year else "",
        "volume": study.volume,
        "number": study.issue,
        "start_page": first,
        "end_page": last,
        "doi": study.doi or "",
        # PubMed's own exports and EndNote keep the PMID as the accession number.
        "accession_number": study.pmid or "",
        "name_of_database": "PubMed" if study.pmid else "",
        "abstract": study.abstract,
        "language": study.language,
        "urls": [url for url in (study.doi_url, study.pubmed_url) if url],
        "notes": [RETRACTED_NOTE] if study.retracted else [],
    }
    return {tag: value for tag, value in record.items() if value}


class _RisWriter(rispy.RisWriter):
    """rispy's writer without its "1.", "2." line before each record: RIS starts with TY."""

    def set_header(self, count):
        return ""


def _one_line(value):
    # A line break inside a value would start a line without a tag and end the field early.
    if isinstance(value, list):
        return [_one_line(item) for item in value]
    return " ".join(str(value).split())


def studies_ris(studies: Iterable[Study]) -> str:
    records = [
        {tag: _one_line(value) for tag, value in study_ris(study).items()} for study in studies
    ]
    return rispy.dumps(records, implementation=_RisWriter)


def _latex(text: str) -> str:
    """Text for a BibTeX field: LaTeX's special characters escaped, non-ASCII as LaTeX macros,
    so that classic BibTeX as well as biber reads it back as written."""
    return unicode_to_latex(text, non_ascii_only=False, unknown_char_policy="keep")


def _verbatim(text: str) -> str:
    """A DOI or URL: biblatex reads these fields verbatim, so they are not LaTeX-escaped; braces
    (which would unbalance the field) and backslashes (which start a LaTeX command wherever a
    style typesets the field) are percent-encoded as in a URL."""
    return text.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")


def _bibtex_author(author: dict) -> str:
    if author.get("collective"):
        # Braces keep a group's name whole: BibTeX would otherwise split "A and B" into two people
        # and read the last word as a family name.
        return "{" + _latex(author["collective"]) + "}"
    return _latex(_name(author))


def study_bibtex_entry(study: Study, key: str) -> bibtex.Entry:
    first, last = page_range(study.pages)
    venue = "booktitle" if study.kind == Study.Kind.BOOK_CHAPTER else "journal"
    fields = [
        ("author", " and ".join(_bibtex_author(author) for author in study.authors)),
        ("title", _latex(study.title)),
        (venue, _latex(study.journal) if study.kind != Study.Kind.BOOK else ""),
        ("year", str(study.year) if study.year else ""),
        ("volume", _latex(study.volume)),
        ("number", _latex(study.issue)),
        # Pages are text like any other field: a value such as "1}, url = {..." must not
        # close the field and add one.
        ("pages", f"{_latex(first)}--{_latex(last)}" if last else _latex(first)),
        ("doi", _verbatim(study.doi or "")),
        ("pmid", study.pmid or ""),
        ("url", _verbatim(study.pubmed_url) if not study.doi else ""),
        ("note", RETRACTED_NOTE if study.retracted else ""),
    ]
    return bibtex.Entry(
        BIBTEX_TYPES.get(study.kind, "misc"),
        key,
        [bibtex.Field(name, value) for name, value in fields if value],
    )


def studies_bibtex(studies: Iterable[Study]) -> str:
    studies = list(studies)
    keys = citation_keys(studies)
    library = bibtexparser.Library([study_bibtex_entry(study, keys[study.pk]) for study in studies])
    return bibtexparser.write_string(library)


def study_csl(study: Study, key: str) -> dict:
    """A study as CSL-JSON (the input of citeproc, pandoc and Zotero's citation styles)."""
    authors = [
        {"literal": a["collective"]}
        if a.get("collective")
        else {part: a[part] for part in ("family", "given", "suffix") if a.get(part)}
        for a in study.authors
    ]
    first, last = page_range(study.pages)
    item = {
        "id": key,
        "type": CSL_TYPES.get(study.kind, "article"),
        "title": study.title,
        "author": authors,
        "container-title": study.journal,
        "issued": {"date-parts": [[study.year]]} if study.year else None,
        "volume": study.volume,
        "issue": study.issue,
        "page": f"{first}-{last}" if last else first,
        "DOI": study.doi,
        "PMID": study.pmid,
        "PMCID": study.pmcid,
        "URL": study.doi_url or study.pubmed_url,
        "abstract": study.abstract,
        "language": study.language,
        "note": RETRACTED_NOTE if study.retracted else None,
    }
    return {name: value for name, value in item.items() if value}


def studies_csl(studies: Iterable[Study]) -> str:
    studies = list(studies)
    keys = citation_keys(studies)
    items = [study_csl(study, keys[study.pk]) for study in studies]
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


CITATION_FORMATS = {
    # extension: (writer, content type)
    "ris": (studies_ris, RIS_TYPE),
    "bib": (studies_bibtex, BIBTEX_TYPE),
    "json": (studies_csl, CSL_TYPE),
}


# --- views -------------------------------------------------------------------------------------


def download(content: str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def streamed_download(pieces: Iterable[str], content_type: str, filename: str):
    """A download written as it is read from the database (see kb.selectors.CLAIMS_PER_CHUNK)."""
    response = StreamingHttpResponse(pieces, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _compound_claims(compound: Compound):
    return selectors.published_claims_with_appearances(compound)


@require_safe
def compound_claims_csv(request, slug):
    compound = get_object_or_404(Compound, slug=slug)
    lines = claims_csv_lines(
        _compound_claims(compound),
        lambda claim: request.build_absolute_uri(claim.get_absolute_url()),
    )
    return streamed_download(lines, CSV_TYPE, f"{compound.slug}-claims.csv")


@require_safe
def compound_claims_json(request, slug):
    """The CSV's rows as JSON, one per appearance, each with its claim's evidence in full."""
    compound = get_object_or_404(Compound, slug=slug)
    text = claims_json_text(
        compound,
        _compound_claims(compound),
        lambda claim: request.build_absolute_uri(claim.get_absolute_url()),
    )
    return streamed_download(text, JSON_TYPE, f"{compound.slug}-claims.json")


def studies_behind(compound: Compound):
    """Every study weighed for one of the compound's published claims, newest first."""
    published = Claim.objects.filter(compound=compound, status=ClaimStatus.PUBLISHED)
    weighed = published_state.studies_readers_see_weighed(published)
    # Citations carry the abstract but never the raw record.
    return Study.objects.filter(weighed).defer("raw_record").order_by("-year", "title", "pk")


@require_safe
def compound_studies(request, slug, fmt):
    compound = get_object_or_404(Compound, slug=slug)
    if fmt not in CITATION_FORMATS:
        raise Http404(f"No citation format '{fmt}'.")
    writer, content_type = CITATION_FORMATS[fmt]
    return download(
        writer(studies_behind(compound)), content_type, f"{compound.slug}-studies.{fmt}"
    )


@require_safe
def study_citation(request, pk, fmt):
    study = get_object_or_404(Study, pk=pk)
    if fmt not in CITATION_FORMATS:
        raise Http404(f"No citation format '{fmt}'.")
    writer, content_type = CITATION_FORMATS[fmt]
    filename = f"{citation_keys([study])[study.pk]}.{fmt}"
    return download(writer([study]), content_type, filename)
