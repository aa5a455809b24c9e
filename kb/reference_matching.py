"""A reference with no identifier, matched to a study: first to a stored study by its title
(PostgreSQL trigram similarity) with the first author and the year as checks; then, online, to
PubMed by NCBI's ECitMatch and to Crossref by `query.bibliographic`.

An exact stored match resolves the reference; anything less is a suggestion, with its
confidence, for an editor to confirm. Reading a citation is a pure function; the look-ups are
reads; the online clients are passed in."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlencode
from urllib.request import Request

from Bio import Entrez
from django.contrib.postgres.search import TrigramSimilarity

from kb import selectors
from studies.crossref import API_WORKS, SERVICE, CrossrefClient, CrossrefError
from studies.eutils import EutilsClient
from studies.identifiers import normalise_doi, normalise_pmid
from studies.models import Study
from studies.transport import RemoteError

# Title similarity (pg_trgm, 0-1) at and above which a stored study is a candidate at all, and
# at and above which it resolves the reference when first author and year agree too.
CANDIDATE = 0.45
EXACT = 0.85
# Crossref's relevance score above which its best hit is worth suggesting.
CROSSREF_MIN_SCORE = 60.0


@dataclass(frozen=True)
class Citation:
    """What a reference entry says about the study it names."""

    title: str = ""
    first_author: str = ""  # family name as written
    year: int | None = None
    journal: str = ""
    volume: str = ""
    first_page: str = ""


_QUOTED = re.compile(r"[\u201c\"](?P<title>[^\u201d\"]{12,})[\u201d\"]")
_YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")
_AUTHORS = re.compile(
    r"^\s*(?P<family>[A-Z][\w'\u2019-]+)(?:,?\s+[A-Z][\w.'\u2019-]*)*"
    r"(?:,?\s+(?:et al\.?|and [A-Z][^.]*))?",
)
# Where a citation's parts end: a full stop after a word, a number, a bracket or an initial.
_PARTS = re.compile(r"(?:(?<=[a-z0-9)\]?])|(?<=\b[A-Z]))\.\s+")
_VOLUME_PAGES = re.compile(
    r"(?:vol\.?\s*)?\b(?P<volume>\d{1,4})\b(?:\s*[,(]\s*\d{1,3}\)?)?\s*(?:\(\d{4}\))?\s*:\s*"
    r"(?P<page>[A-Za-z]?\d{1,6})\b"
)


def fold(text: str) -> str:
    """Lower case without accents or punctuation, for comparing names."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9 ]+", " ", text.lower()).strip()


def read_citation(text: str) -> Citation:
    """The title, first author, year, journal, volume and first page a reference entry gives,
    as far as it gives them ("Lang W, et al. Title. Journal. 2013;8(2):95-104", "Lang, Wilfried
    et al. “Title.” Journal vol. 8,2 (2013): 95-104")."""
    text = " ".join((text or "").split())
    year_match = _YEAR.search(text)
    author = _AUTHORS.match(text)
    quoted = _QUOTED.search(text)
    if quoted:
        title = quoted.group("title").strip().rstrip(".")
        rest = text[quoted.end() :].lstrip(" .,")
    else:
        # A citation starts with its authors ("Brainin M.", "Chen CC, et al."); the title is
        # the first of the following sentences with four or more words.
        parts = [p.strip() for p in _PARTS.split(text) if p.strip()]
        parts = parts[1:] if len(parts) > 1 else parts
        index = next((i for i, p in enumerate(parts) if len(p.split()) >= 4), None)
        title = parts[index].strip(" .") if index is not None else ""
        rest = ". ".join(parts[index + 1 :]) if index is not None else ""
    journal = re.split(r"\.|\bvol\b|\d{4}", rest, maxsplit=1)[0].strip(" ,:;")
    pages = _VOLUME_PAGES.search(rest)
    return Citation(
        title=title,
        first_author=author.group("family") if author else "",
        year=int(year_match.group(1)) if year_match else None,
        journal=journal[:200],
        volume=pages.group("volume") if pages else "",
        first_page=pages.group("page") if pages else "",
    )


@dataclass(frozen=True)
class TitleMatch:
    """A stored study whose title is like the reference's, and how far the checks agree."""

    study: Study
    similarity: float
    author_agrees: bool | None  # None: the citation or the study names no author
    year_agrees: bool | None

    @property
    def confidence(self) -> float:
        """The title similarity, halved for each check that disagrees (0-1, shown in %)."""
        disagreements = [self.author_agrees, self.year_agrees].count(False)
        return round(self.similarity / (2**disagreements), 2)

    @property
    def exact(self) -> bool:
        """Resolves the reference: the same title, and author and year agree where known
        (at least one of them known)."""
        checks = [self.author_agrees, self.year_agrees]
        return self.similarity >= EXACT and False not in checks and True in checks


def _first_family(study: Study) -> str:
    first = (study.authors or [{}])[0]
    return first.get("family") or first.get("collective") or ""


def title_match(citation: Citation) -> TitleMatch | None:
    """The stored study most like the citation (title similarity at least CANDIDATE), with the
    author and year checks; None when nothing is close enough."""
    if len(citation.title) < 12:
        return None
    best = (
        Study.objects.annotate(similarity=TrigramSimilarity("title", citation.title))
        .filter(similarity__gte=CANDIDATE)
        .only("pk", "pmid", "doi", "title", "authors", "year")
        .order_by("-similarity", "pk")
        .first()
    )
    if best is None:
        return None
    family = _first_family(best)
    author_agrees = (
        fold(family) == fold(citation.first_author) if family and citation.first_author else None
    )
    year_agrees = (
        abs(best.year - citation.year) <= 1 if best.year and citation.year else None
    )  # online-first and issue years differ by one
    return TitleMatch(best, round(float(best.similarity), 2), author_agrees, year_agrees)


# --------------------------------------------------------------------------------------------
# Online: identifiers suggested by PubMed (ECitMatch) and Crossref (query.bibliographic)


@dataclass(frozen=True)
class OnlineSuggestion:
    """An identifier a service proposes for a citation; stored nowhere until an editor adds it."""

    service: str  # "ecitmatch" | "crossref"
    pmid: str | None = None
    doi: str | None = None
    title: str = ""
    confidence: float = 0.0  # 0-1


def ecitmatch_suggestion(citation: Citation, client: EutilsClient) -> OnlineSuggestion | None:
    """PubMed's PMID for a citation with journal, year, volume, first page and first author;
    None when the citation lacks them or PubMed finds none (or several)."""
    if not (citation.journal and citation.year and citation.volume and citation.first_page):
        return None
    # ECitMatch's own format, "journal|year|volume|first page|author|key|": given as a string,
    # Bio.Entrez passes the client's tool, email and API key along with it.
    fields = [
        fold(citation.journal),
        str(citation.year),
        citation.volume,
        citation.first_page,
        fold(citation.first_author),
        "ref",
    ]
    bdata = "|".join(field.replace("|", " ") for field in fields) + "|"
    body = client._read(lambda: Entrez.ecitmatch(db="pubmed", bdata=bdata, **client._params()))
    return parse_ecitmatch(body)


def parse_ecitmatch(body: bytes) -> OnlineSuggestion | None:
    """ECitMatch's reply: one line per citation, "journal|year|volume|page|author|key|PMID",
    the last field a PMID or NOT_FOUND / AMBIGUOUS."""
    for line in body.decode("utf-8", "replace").splitlines():
        fields = line.strip().split("|")
        if len(fields) >= 7 and fields[5] == "ref":
            try:
                return OnlineSuggestion("ecitmatch", pmid=normalise_pmid(fields[6]), confidence=0.9)
            except ValueError:
                return None
    return None


def crossref_suggestion(text: str, client: CrossrefClient) -> OnlineSuggestion | None:
    """Crossref's best work for the citation's whole text, when its score is high enough."""
    params, headers = client._polite_identity()
    query = {"query.bibliographic": text[:500], "rows": 2, "select": "DOI,title,score", **params}
    request = Request(  # noqa: S310 - always https://api.crossref.org/works
        API_WORKS.rstrip("/") + "?" + urlencode(query),
        headers={**headers, "Accept": "application/json"},
    )

    def get() -> bytes:
        with client.transport.open(request) as response:
            return response.read()

    return parse_crossref_query(client.transport.call(get, service=SERVICE))


def parse_crossref_query(body: bytes) -> OnlineSuggestion | None:
    """The top item of a Crossref work-list reply ({"message": {"items": [{"DOI", "title",
    "score"}]}}), as a suggestion with its score scaled to 0-1 (100 and above count as 1)."""
    try:
        items = json.loads(body)["message"]["items"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CrossrefError(f"Crossref's bibliographic search reply is unusable ({exc}).") from exc
    if not items:
        return None
    top = items[0]
    score = float(top.get("score") or 0)
    if score < CROSSREF_MIN_SCORE:
        return None
    try:
        doi = normalise_doi(top.get("DOI", ""))
    except ValueError:
        return None
    title = (top.get("title") or [""])[0] if isinstance(top.get("title"), list) else ""
    confidence = round(min(score / 100, 1.0), 3)
    return OnlineSuggestion("crossref", doi=doi, title=title, confidence=confidence)


# --------------------------------------------------------------------------------------------
# The whole reference list


@dataclass
class Resolution:
    """Each reference's stored study and how it was found; near title matches apart."""

    studies: dict[int, Study]
    how: dict[int, str]  # number -> "identifier" | "title"
    near: dict[int, TitleMatch]  # number -> a title match too weak to resolve on its own

    def as_json(self, number: int) -> dict | None:
        """The `study` of a reference in `import_article --json`."""
        study = self.studies.get(number)
        if study is None:
            return None
        return {"id": study.pk, "pmid": study.pmid, "doi": study.doi, "match": self.how[number]}


def resolve(references) -> Resolution:
    """Stored studies for a reference list: by identifier (one query), then, for entries with
    no identifier at all, by title with first author and year (one query each)."""
    references = list(references)
    studies = selectors.stored_studies(references)
    how = dict.fromkeys(studies, "identifier")
    near = {}
    for reference in references:
        if reference.number in studies or reference.doi or reference.pmid or reference.pmcid:
            continue
        found = title_match(read_citation(reference.text))
        if found is None:
            continue
        if found.exact:
            studies[reference.number] = found.study
            how[reference.number] = "title"
        else:
            near[reference.number] = found
    return Resolution(studies=studies, how=how, near=near)


def online_suggestions(
    references,
    resolution: Resolution,
    *,
    pubmed: EutilsClient,
    crossref: CrossrefClient,
    down: set[str] | frozenset = frozenset(),
) -> tuple[dict[int, list[OnlineSuggestion]], list[str]]:
    """For each reference with no identifier and no stored study: what ECitMatch and Crossref
    propose (network; run outside any transaction), and notes on what could not be asked. A
    service in `down`, or found down here, is not asked (again): nothing waits on a dead
    network."""
    found: dict[int, list[OnlineSuggestion]] = {}
    notes: list[str] = []
    down = set(down)
    for reference in references:
        if reference.number in resolution.studies or reference.doi or reference.pmid:
            continue
        citation = read_citation(reference.text)
        for service, ask, argument, client in (
            ("PubMed", ecitmatch_suggestion, citation, pubmed),
            ("Crossref", crossref_suggestion, reference.text, crossref),
        ):
            if service in down:
                continue
            try:
                suggestion = ask(argument, client)
            except RemoteError as exc:
                down.add(service)
                notes.append(
                    f"{service}: no suggestions for references without identifiers ({exc})."
                )
                continue
            if suggestion is not None:
                found.setdefault(reference.number, []).append(suggestion)
    return found, notes
