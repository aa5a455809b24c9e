"""PubMed and Crossref clients against a fake network: no test touches the network.

The `entrez` and `crossref_network` fixtures give the clients built from settings a Transport
whose opener is a FakeNetwork. Every reply body served here is a real recorded one from
tests/data (or a constructed one).
"""

import socket
from http.client import IncompleteRead
from urllib.error import URLError

import pytest
from fake_network import FakeNetwork, FakeResponse, http_error
from studies_testdata import CONSTRUCTED, CROSSREF, PUBMED

from studies import eutils
from studies.crossref import CrossrefClient, CrossrefError, UnknownDOI
from studies.eutils import EutilsClient, PubMedError
from studies.records import ParseError
from studies.transport import REQUEST_TIMEOUT, Offline, RemoteError, Transport, call_with_retries


def pubmed() -> EutilsClient:
    """The PubMed client as the views and commands build it: on the fixture's fake network."""
    return EutilsClient.from_settings()


def crossref() -> CrossrefClient:
    """The Crossref client as the views and commands build it: on the fixture's fake network."""
    return CrossrefClient.from_settings()


def body(path):
    return path.read_bytes()


# --- PubMed ----------------------------------------------------------------------------------


def test_efetch_asks_for_xml_with_identification_and_parses_the_reply(entrez):
    network = entrez(body(PUBMED / "biopython_pubmed2.xml"))
    ((asked, records),) = list(pubmed().fetch_batches(["11748933", "11700088"]))
    assert asked == ["11748933", "11700088"]
    assert [r.pmid for r in records] == ["11748933", "11700088"]
    (url,) = network.urls
    assert url.startswith("https://eutils.ncbi.nlm.nih.gov/entrez/eutils/efetch.fcgi?")
    for part in (
        "db=pubmed",
        "id=11748933%2C11700088",
        "retmode=xml",
        "tool=evidence-kb-tests",
        "email=editor%40example.org",
    ):
        assert part in url
    assert "api_key" not in url


def test_efetch_sends_the_api_key_when_configured(entrez, settings):
    settings.NCBI_API_KEY = "k3y"
    network = entrez(body(PUBMED / "biopython_pubmed2.xml"))
    list(pubmed().fetch_batches(["11748933"]))
    assert "api_key=k3y" in network.urls[0]


def test_efetch_goes_in_batches_of_at_most_200(entrez):
    empty = body(CONSTRUCTED / "pubmed_empty.xml")
    network = entrez(empty, empty)
    pmids = [str(990000000 + n) for n in range(250)]
    batches = list(pubmed().fetch_batches(pmids))
    assert [len(asked) for asked, _ in batches] == [200, 50]
    # 200 ids go by POST (NCBI's advice); the data carries them.
    assert network.requests[0].get_method() == "POST"
    assert network.requests[0].data.count(b"%2C") == 199


def test_empty_result_set_for_an_unknown_pmid(entrez):
    entrez(body(CONSTRUCTED / "pubmed_empty.xml"))
    assert list(pubmed().fetch_batches(["990000777"])) == [(["990000777"], [])]


def test_429_is_retried_after_the_time_retry_after_asks(entrez, waits):
    entrez(
        http_error(429, "Too Many Requests", Retry_After="2"),
        body(PUBMED / "biopython_pubmed2.xml"),
    )
    ((_, records),) = list(pubmed().fetch_batches(["11748933"]))
    assert len(records) == 2
    assert waits == [2.0]


def test_500_and_timeouts_are_retried_with_growing_waits(entrez, waits):
    entrez(
        http_error(500, "Internal Server Error"),
        URLError(TimeoutError("timed out")),
        http_error(503, "Service Unavailable"),
        body(PUBMED / "biopython_pubmed2.xml"),
    )
    assert len(next(iter(pubmed().fetch_batches(["11748933"])))[1]) == 2
    assert waits == [1.0, 2.0, 4.0]


def test_a_truncated_body_is_retried(entrez, waits):
    def truncated(request):
        response = FakeResponse(b"", request.full_url)
        response.read = lambda *args: (_ for _ in ()).throw(IncompleteRead(b"<PubmedArt", 5000))
        return response

    entrez(truncated, body(PUBMED / "biopython_pubmed2.xml"))
    assert len(next(iter(pubmed().fetch_batches(["11748933"])))[1]) == 2
    assert waits == [1.0]


def test_persistent_server_errors_end_in_a_readable_error(entrez, waits):
    entrez(*[http_error(500, "Internal Server Error")] * 4)
    with pytest.raises(RemoteError, match=r"PubMed .* answered HTTP 500 .* 4 times in a row"):
        list(pubmed().fetch_batches(["11748933"]))
    assert len(waits) == 3


def test_persistent_timeouts_end_in_a_readable_error(entrez, waits):
    entrez(*[TimeoutError("timed out")] * 4)
    with pytest.raises(RemoteError, match="did not answer properly 4 times in a row"):
        list(pubmed().fetch_batches(["11748933"]))


def test_a_retry_after_beyond_a_minute_fails_at_once(entrez, waits):
    entrez(http_error(429, "Too Many Requests", Retry_After="3600"))
    with pytest.raises(RemoteError, match="asks to wait 3600 s"):
        list(pubmed().fetch_batches(["11748933"]))
    assert waits == []


def test_unresolvable_host_fails_fast_without_retrying(entrez, waits):
    network = entrez(URLError(socket.gaierror(-3, "Temporary failure in name resolution")))
    with pytest.raises(Offline, match=r"Cannot reach PubMed .* Is this machine offline"):
        list(pubmed().fetch_batches(["11748933"]))
    assert waits == []
    assert len(network.requests) == 1


def test_other_http_errors_are_not_retried(entrez, waits):
    entrez(http_error(400, "Bad Request", b"<ERROR>Invalid uid</ERROR>"))
    with pytest.raises(
        PubMedError, match=r"PubMed refused the request: HTTP 400 Bad Request \(Invalid uid\)"
    ):
        list(pubmed().fetch_batches(["11748933"]))
    assert waits == []


def test_an_unusable_reply_is_a_clear_parse_error(entrez):
    entrez(b"<html><body>Service temporarily unavailable</body></html>")
    with pytest.raises(ParseError, match=r"not PubMed article XML \(the root element is <html>"):
        list(pubmed().fetch_batches(["11748933"]))


def test_invalid_pmid_is_refused_before_any_request(entrez):
    network = entrez()
    with pytest.raises(ValueError, match="Not a valid PMID"):
        list(pubmed().fetch_batches(["12a"]))
    assert network.requests == []


def test_doi_to_pmid_through_esearch(entrez):
    network = entrez(body(CONSTRUCTED / "esearch_one_hit.xml"))
    found = pubmed().search_pmid_for_doi("https://doi.org/10.5555/Constructed.Retracted.1")
    assert found == "990000001"
    assert "term=10.5555%2Fconstructed.retracted.1%5Bdoi%5D" in network.urls[0]
    assert "esearch.fcgi" in network.urls[0]


def test_doi_to_pmid_when_pubmed_has_none_or_many(entrez):
    entrez(body(PUBMED / "biopython_esearch8.xml"), body(PUBMED / "biopython_esearch1.xml"))
    assert pubmed().search_pmid_for_doi("10.5555/nothing") is None
    assert pubmed().search_pmid_for_doi("10.5555/ambiguous") is None


def test_esearch_error_reply_is_a_pubmed_error():
    with pytest.raises(PubMedError, match="PubMed search failed: Invalid query"):
        eutils.parse_esearch_ids(b"<eSearchResult><ERROR>Invalid query</ERROR></eSearchResult>")


# --- Crossref --------------------------------------------------------------------------------


def test_crossref_work_is_fetched_politely_and_parsed(crossref_network):
    network = crossref_network(body(CROSSREF / "habanero_works_10.1038_srep16696.json"))
    record = crossref().fetch_work("https://doi.org/10.1038/srep16696")
    assert record.doi == "10.1038/srep16696"
    assert record.abstract.startswith("Oligomers of alpha-synuclein")
    (request,) = network.requests
    assert request.full_url == (
        "https://api.crossref.org/works/10.1038/srep16696?mailto=editor%40example.org"
    )
    assert "mailto:editor@example.org" in request.get_header("User-agent")


def test_crossref_doi_with_odd_characters_is_quoted_in_the_url(crossref_network):
    network = crossref_network(http_error(404, "Not Found", b"Resource not found."))
    with pytest.raises(UnknownDOI):
        crossref().fetch_work("10.5555/(SICI)1099-0000(200301)5:1<1::AID-CON1>3.0.CO;2-X")
    assert network.urls[0].startswith(
        "https://api.crossref.org/works/10.5555/%28sici%291099-0000%28200301%295%3A1%3C1%3A%3A"
    )


def test_crossref_404_plain_text_body_is_unknown_doi(crossref_network):
    crossref_network(
        http_error(404, "Not Found", body(CROSSREF / "habanero_works_404_10.1371_notarealdoi.txt"))
    )
    with pytest.raises(
        UnknownDOI, match=r"does not know the DOI 10.1371/notarealdoi \(Resource not found.\)"
    ):
        crossref().fetch_work("10.1371/notarealdoi")


def test_crossref_400_validation_failure_is_a_clear_error(crossref_network):
    crossref_network(
        http_error(
            400,
            "Bad Request",
            body(CROSSREF / "habanero_works_400_validation_failure.json"),
            content_type="application/json",
        )
    )
    with pytest.raises(CrossrefError, match="HTTP 400, This route does not support field query"):
        crossref().fetch_work("10.1371/journal.pone.0033693")


def test_crossref_429_and_offline(crossref_network, waits):
    crossref_network(
        http_error(429, "Too Many Requests", Retry_After="1"),
        body(CROSSREF / "habanero_works_10.1371_journal.pone.0033693.json"),
    )
    assert crossref().fetch_work("10.1371/journal.pone.0033693").year == 2012
    assert waits == [1.0]
    crossref_network(URLError(socket.gaierror(-2, "Name or service not known")))
    with pytest.raises(Offline, match="Cannot reach Crossref"):
        crossref().fetch_work("10.1371/journal.pone.0033693")


def test_crossref_body_that_is_not_json(crossref_network):
    crossref_network(b"<html>maintenance</html>")
    with pytest.raises(CrossrefError, match="not valid JSON"):
        crossref().fetch_work("10.1371/journal.pone.0033693")


# --- Transport -------------------------------------------------------------------------------


def test_each_client_opens_its_requests_through_the_transport_it_is_given():
    timeouts = []

    def answer(reply):
        def opener(request, timeout):
            timeouts.append(timeout)
            return FakeResponse(reply, request.full_url)

        return opener

    one_hit = body(CONSTRUCTED / "esearch_one_hit.xml")
    client = EutilsClient(email="editor@example.org", transport=Transport(opener=answer(one_hit)))
    assert client.search_pmid_for_doi("10.5555/constructed.retracted.1") == "990000001"
    works = body(CROSSREF / "habanero_works_10.1038_srep16696.json")
    client = CrossrefClient(transport=Transport(opener=answer(works)))
    assert client.fetch_work("10.1038/srep16696").doi == "10.1038/srep16696"
    assert timeouts == [REQUEST_TIMEOUT, REQUEST_TIMEOUT]


def test_two_clients_keep_to_their_own_transports():
    empty = body(CONSTRUCTED / "pubmed_empty.xml")
    first, second = FakeNetwork(empty), FakeNetwork(empty)
    list(EutilsClient(transport=Transport(opener=first)).fetch_batches(["990000777"]))
    list(EutilsClient(transport=Transport(opener=second)).fetch_batches(["990000778"]))
    assert len(first.requests) == len(second.requests) == 1
    assert "id=990000777" in first.urls[0]
    assert "id=990000778" in second.urls[0]


def _failing_with(code: int):
    def request():
        raise http_error(code)

    return request


def test_retry_waits_are_jittered_within_the_backoff():
    waits = []
    with pytest.raises(RemoteError):
        call_with_retries(_failing_with(503), service="PubMed", attempts=4, sleep=waits.append)
    assert len(waits) == 3
    for wait, backoff in zip(waits, (1.0, 2.0, 4.0), strict=True):
        assert backoff / 2 <= wait <= backoff


def test_retries_stop_at_the_total_wait_cap():
    waits = []
    with pytest.raises(RemoteError, match="after 3 tries in 3 s of waiting"):
        call_with_retries(
            _failing_with(500),
            service="Crossref",
            attempts=10,
            sleep=waits.append,
            jitter=lambda delay: delay,
            max_total_wait=5,
        )
    assert waits == [1.0, 2.0]  # the next wait (4 s) would pass the 5 s cap
