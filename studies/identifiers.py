"""One normaliser for each study identifier, used by parsers, clients, importer and forms alike.

Stored identifiers are always the normalised form, so a DOI typed as a doi.org URL and the
same DOI read from PubMed XML meet in one database row.
"""

import re
import unicodedata
from urllib.parse import unquote

# A DOI is "10." + a registrant code of 4-9 digits (optionally with dot-separated sub-codes,
# e.g. 10.1000.10/abc) + "/" + a suffix of any printable characters. Whitespace and control
# characters never belong to a DOI; they mean the input was mangled.
_DOI = re.compile(r"10\.[0-9]{4,9}(?:\.[0-9]+)*/[^\s\x00-\x1f\x7f]+")
_DOI_PREFIXES = re.compile(
    r"^(?:doi:\s*|(?:https?://)?(?:dx\.|www\.)?doi\.org/|info:doi/)", re.IGNORECASE
)
_PMID = re.compile(r"[1-9][0-9]{0,8}")
_PUBMED_URL = re.compile(
    r"^(?:https?://)?(?:pubmed\.ncbi\.nlm\.nih\.gov|(?:www\.)?ncbi\.nlm\.nih\.gov/pubmed)/"
    r"(\d+)/?(?:[?#].*)?$",
    re.IGNORECASE,
)
_PMID_PREFIX = re.compile(r"^pmid\s*:?\s*", re.IGNORECASE)
_PMCID = re.compile(r"^(?:PMC)?([0-9]{1,9})$", re.IGNORECASE)
# Control, format (direction overrides such as U+202E, zero-width characters), private-use
# and line-separator characters: invisible or reordering, they make an identifier look like
# another one, so an identifier carrying one is refused rather than cleaned.
_HIDDEN = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})


class HiddenCharacter(ValueError):
    """An identifier carrying an invisible or direction character."""


def _refuse_hidden(value: str, what: str) -> None:
    for char in value:
        if unicodedata.category(char) in _HIDDEN and char not in "\t\n\r ":
            raise HiddenCharacter(
                f"Not a valid {what}: it contains the invisible character "
                f"U+{ord(char):04X} ({unicodedata.name(char, 'a control character')}). "
                "Type or paste the identifier again."
            )


def normalise_doi(value: str) -> str:
    """The canonical form of a DOI: bare, URL-decoded and lower-cased.

    Accepts "10.1056/NEJMoa1210384", "doi:10.1056/...", "https://doi.org/10.1056/..." and
    "http://dx.doi.org/10.1056%2F..." alike. DOIs are case-insensitive by definition, so the
    lower-cased form is the one that compares equal. Raises ValueError for anything that is not
    a DOI once those wrappers are removed.
    """
    if value is None:
        raise ValueError("No DOI given.")
    text = str(value).strip()
    _refuse_hidden(text, "DOI")
    # Strip wrappers before and after decoding: "https%3A%2F%2Fdoi.org%2F10..." also occurs.
    text = _DOI_PREFIXES.sub("", text)
    text = unquote(text).strip()
    _refuse_hidden(text, "DOI")
    text = _DOI_PREFIXES.sub("", text)
    text = text.lower()
    if not _DOI.fullmatch(text):
        shown = str(value).strip()[:120] or "(empty)"
        raise ValueError(
            f"Not a valid DOI: {shown!r}. A DOI looks like 10.1234/abc "
            "(10., 4-9 digits, a slash, then the suffix)."
        )
    return text


def normalise_pmid(value: str | int) -> str:
    """The canonical form of a PubMed ID: 1-9 digits, no leading zeros, as a string.

    Also accepts "PMID: 123" and PubMed URLs such as https://pubmed.ncbi.nlm.nih.gov/123/.
    Raises ValueError otherwise.
    """
    if value is None:
        raise ValueError("No PMID given.")
    text = str(value).strip()
    _refuse_hidden(text, "PMID")
    url = _PUBMED_URL.match(text)
    if url:
        text = url.group(1)
    text = _PMID_PREFIX.sub("", text)
    if text.isascii() and text.isdigit() and text.strip("0"):
        text = text.lstrip("0")
    if not _PMID.fullmatch(text):
        shown = str(value).strip()[:120] or "(empty)"
        raise ValueError(f"Not a valid PMID: {shown!r}. A PMID is a number of 1-9 digits.")
    return text


def normalise_pmcid(value: str) -> str:
    """The canonical form of a PubMed Central ID: "PMC" followed by digits."""
    text = str(value or "").strip()
    _refuse_hidden(text, "PMCID")
    match = _PMCID.match(text)
    if not match or not int(match.group(1)):
        raise ValueError(f"Not a valid PMCID: {text[:120]!r}. A PMCID looks like PMC1234567.")
    return f"PMC{int(match.group(1))}"


def parse_identifier(text: str) -> tuple[str, str]:
    """What a person typed or pasted, as ("pmid" | "doi", normalised value).

    Understands a bare PMID, "PMID: 123", a PubMed URL, a bare DOI, "doi:10...", and a
    doi.org URL. Raises ValueError with a readable message for anything else.
    """
    raw = (text or "").strip()
    if not raw:
        raise ValueError("Enter a PMID, a DOI, a PubMed URL or a doi.org URL.")
    _refuse_hidden(raw, "PMID or DOI")
    if _PUBMED_URL.match(raw) or _PMID_PREFIX.match(raw) or raw.isdigit():
        return "pmid", normalise_pmid(raw)
    try:
        return "doi", normalise_doi(raw)
    except HiddenCharacter:
        raise
    except ValueError:
        pass
    raise ValueError(
        f"Not a PMID or a DOI: {raw[:120]!r}. Enter a PMID (e.g. 23121403), a DOI "
        "(e.g. 10.1056/NEJMoa1210384), a PubMed URL or a doi.org URL."
    )
