"""Watching PubMed for new studies: a saved query run over the days since the last run.

E-utilities' esearch takes a date range on the date a record entered PubMed (datetype=edat),
whole days, both ends included; each run searches from the last day the previous run covered
(that day again, so a record added late that day is not missed: finding it twice changes
nothing) up to today. A first run looks back FIRST_RUN_DAYS.
"""

from datetime import date, timedelta

from studies.eutils import EutilsClient
from studies.models import Study

FIRST_RUN_DAYS = 365


def search_window(searched_until: date | None, today: date) -> tuple[date, date]:
    """The days the next run searches: from the last run's last day (or a year back) to today."""
    start = searched_until or today - timedelta(days=FIRST_RUN_DAYS)
    return min(start, today), today


def search(query: str, *, searched_until: date | None, today: date, pubmed: EutilsClient):
    """(PMIDs the query finds in the window, those not stored yet, the window's last day)."""
    mindate, maxdate = search_window(searched_until, today)
    found = pubmed.search(query, mindate=mindate, maxdate=maxdate)
    stored = set(Study.objects.filter(pmid__in=found).values_list("pmid", flat=True))
    return found, [pmid for pmid in found if pmid not in stored], maxdate
