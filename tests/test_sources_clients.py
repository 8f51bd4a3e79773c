"""The live-source clients against recorded real responses served on 127.0.0.1 (no network).

Covers: parsing of the recorded ESearch/EFetch/CT.gov/Europe PMC/openFDA answers, paging
(history server, pageToken, cursorMark), the HTTP cache and --offline, fault injection (429 +
Retry-After, 5xx, timeouts, truncated bodies, malformed JSON/XML) and the rate limits, measured
from the fake server's arrival log.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from test_sources_server import EPMC, EUTILS, OPENFDA, FakeServer, require_fixtures

from offlabel.sources import ctgov, europepmc, eutils, openfda
from offlabel.sources.http import (
    RateLimiter,
    RetryPolicy,
    SourceError,
    is_public_endpoint,
    make_service,
    parse_retry_after,
)
from offlabel.sources.readers import parse_pubmed_xml

FAST = RetryPolicy(attempts=4, backoff=0.01, max_backoff=0.05, max_retry_after=0.3, timeout=0.5)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[FakeServer]:
    server = FakeServer().start()
    for k, v in server.env().items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("OFFLABEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("OFFLABEL_HTTP_RATE", "500")  # honoured only for non-public endpoints
    monkeypatch.delenv("NCBI_API_KEY", raising=False)
    monkeypatch.delenv("NCBI_EMAIL", raising=False)
    yield server
    server.stop()


def _parse(body: bytes) -> list:
    return parse_pubmed_xml(body, name="efetch")


# --- recorded responses ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["esearch1.xml", "esearch2.xml", "esearch3.xml", "esearch8.xml"])
def test_esearch_reads_each_recorded_answer(fake: FakeServer, name: str) -> None:
    path = EUTILS / "biopython+biopython/Tests/Entrez" / name
    raw = path.read_bytes()
    fake.esearch_override = raw
    svc = eutils.eutils_service(retry=FAST)
    result = eutils.esearch(svc, "anything")
    # Compare with the file's own numbers, read independently of the parser under test.
    assert result.count == int(re.search(rb"<Count>(\d+)</Count>", raw).group(1))
    assert result.ids == [i.decode() for i in re.findall(rb"<Id>(\d+)</Id>", raw)]
    assert (result.webenv is not None) == (b"<WebEnv>" in raw)
    if name == "esearch8.xml":
        assert result.count == 0 and any("PhraseNotFound" in w for w in result.warnings)


def test_esearch_error_body_is_a_clear_error_without_retry(fake: FakeServer) -> None:
    fake.esearch_override = (
        b"<?xml version='1.0'?><eSearchResult><ERROR>Invalid query</ERROR></eSearchResult>"
    )
    with pytest.raises(SourceError, match="eutils: ESearch error: Invalid query"):
        eutils.esearch(eutils.eutils_service(retry=FAST), "x")
    assert len(fake.hits("eutils")) == 1


def test_identification_and_api_key_parameters(fake: FakeServer, monkeypatch) -> None:
    monkeypatch.setenv("NCBI_EMAIL", "someone@example.org")
    monkeypatch.setenv("NCBI_API_KEY", "secret-key")
    svc = eutils.eutils_service(retry=FAST)
    eutils.esearch(svc, "baclofen")
    q = fake.hits("eutils")[0].query
    assert (q["tool"], q["email"], q["api_key"], q["usehistory"]) == (
        "offlabel",
        "someone@example.org",
        "secret-key",
        "y",
    )
    # Neither the key nor the e-mail address appears in an error message.
    fake.inject("eutils", "500", "500", "500", "500")
    with pytest.raises(SourceError) as err:
        eutils.esearch(eutils.eutils_service(retry=FAST, cache=False), "other")
    assert "secret-key" not in str(err.value) and "api_key=***" in str(err.value)
    assert "someone" not in str(err.value) and "email=***" in str(err.value)


def test_efetch_in_batches_yields_every_recorded_article(fake: FakeServer) -> None:
    svc = eutils.eutils_service(retry=FAST)
    search = eutils.search_ids(svc, "baclofen")
    assert search.count == len(fake.corpus) and sorted(search.ids) == sorted(fake.corpus)
    got = []
    for ids, records in eutils.fetch_batches(svc, search, _parse, batch=2):
        assert [r.pmid for r in records] == ids
        got += records
    assert sorted(r.pmid for r in got) == sorted(fake.corpus)
    assert len(fake.hits("eutils", "efetch.fcgi")) == -(-len(fake.corpus) // 2)
    assert all(r.title for r in got)


def test_efetch_skips_stored_pmids_and_uses_history_past_the_listing(fake: FakeServer) -> None:
    svc = eutils.eutils_service(retry=FAST)
    search = eutils.search_ids(svc, "baclofen")
    skip = set(search.ids[:3])
    fetched = [i for ids, _ in eutils.fetch_batches(svc, search, _parse, skip=skip) for i in ids]
    assert set(fetched) == set(search.ids) - skip
    # A result set larger than ESearch lists: the rest is paged from the history server.
    search.ids = search.ids[:4]
    list(eutils.fetch_batches(svc, search, _parse, batch=100))
    history = [h.query for h in fake.hits("eutils", "efetch.fcgi") if "WebEnv" in h.query]
    assert history and history[0]["retstart"] == "4" and history[0]["query_key"] == "1"


def test_ctgov_pages_by_token_until_the_listing_ends(fake: FakeServer) -> None:
    svc = ctgov.ctgov_service(retry=FAST)
    pages = list(ctgov.search_studies(svc, condition="Phelan-McDermid Syndrome", intervention="x"))
    assert [len(p.studies) for p in pages][:2] == [5, 5]
    assert pages[0].total == 21 and pages[1].total is None  # only page 1 carries totalCount
    tokens = [h.query.get("pageToken") for h in fake.hits("ctgov")]
    assert tokens[0] is None and tokens[1] == fake.phelan1["nextPageToken"]
    assert fake.hits("ctgov")[0].query["query.cond"] == "Phelan-McDermid Syndrome"
    facts = ctgov.trial_facts(pages[0].studies[0])
    assert facts.nct == "NCT02710084" and facts.status == "COMPLETED"
    assert facts.enrollment == 18 and facts.phases == ["PHASE2"]
    assert facts.has_results is None  # the recorded projection did not ask for it


def test_ctgov_limit_stops_paging(fake: FakeServer) -> None:
    svc = ctgov.ctgov_service(retry=FAST)
    pages = list(ctgov.search_studies(svc, condition="x", limit=3))
    assert sum(len(p.studies) for p in pages) == 3 and len(fake.hits("ctgov")) == 1


def test_europepmc_follows_cursor_marks(fake: FakeServer) -> None:
    svc = europepmc.europepmc_service(retry=FAST)
    pages = list(europepmc.search(svc, "cancer"))
    cursors = [h.query["cursorMark"] for h in fake.hits("europepmc")]
    assert cursors == ["*", fake.epmc1["nextCursorMark"], fake.epmc2["nextCursorMark"]]
    assert [len(p.results) for p in pages] == [25, 5, 0]
    assert pages[0].hit_count == 5059039


def test_openfda_profile_from_recorded_label_and_drugsfda(fake: FakeServer) -> None:
    svc = openfda.openfda_service(retry=FAST)
    facts = openfda.fetch_drug_facts(svc, "pembrolizumab")
    assert "Keytruda" in facts.brand_names and "Keytruda Qlex" in facts.brand_names
    assert "Gleevec" in facts.brand_names  # from the drugsfda answer
    (app,) = facts.approvals
    assert (app.application, app.approved, app.dosage_forms) == (
        "NDA021588",
        "20030418",
        ["Tablet"],
    )
    search = fake.hits("openfda", "label.json")[0].query["search"]
    assert 'openfda.generic_name:"pembrolizumab"' in search


def test_openfda_not_found_is_an_empty_answer(fake: FakeServer, monkeypatch) -> None:
    examples = OPENFDA.parents[3] / "FDA+open.fda.gov/src/pages/apis/drug/label"
    assert examples.is_dir()
    svc = openfda.openfda_service(retry=FAST)
    fake.label = b'{"error": {"code": "NOT_FOUND", "message": "No matches found!"}}'
    monkeypatch.setattr(fake, "_route", _status_route(fake._route, 404))
    assert openfda.search_labels(svc, "nonexistentdrug") == []


def _status_route(route, status: int):
    def wrapped(service, path, q):
        _s, ctype, body = route(service, path, q)
        return status, ctype, body

    return wrapped


# --- cache and offline -------------------------------------------------------------------


def test_a_rerun_is_answered_by_the_cache_and_offline_works_from_it(fake: FakeServer) -> None:
    svc = europepmc.europepmc_service(retry=FAST)
    first = [len(p.results) for p in europepmc.search(svc, "cancer")]
    n = len(fake.log)
    again = [
        len(p.results) for p in europepmc.search(europepmc.europepmc_service(retry=FAST), "cancer")
    ]
    assert again == first and len(fake.log) == n
    offline = europepmc.europepmc_service(retry=FAST, offline=True)
    assert [len(p.results) for p in europepmc.search(offline, "cancer")] == first
    with pytest.raises(SourceError, match="offline and not in the cache"):
        list(europepmc.search(offline, "something never fetched"))
    assert len(fake.log) == n
    refreshed = europepmc.europepmc_service(retry=FAST, refresh=True)
    list(europepmc.search(refreshed, "cancer"))
    assert len(fake.log) == n + 3


# --- faults ------------------------------------------------------------------------------


def test_429_waits_for_retry_after_then_succeeds(fake: FakeServer) -> None:
    fake.inject("ctgov", "429:0.2")
    svc = ctgov.ctgov_service(retry=FAST, cache=False)
    page = next(ctgov.search_studies(svc, condition="x"))
    assert len(page.studies) == 5
    first, second = fake.hits("ctgov")[:2]
    assert (first.status, second.status) == (429, 200)
    assert second.t - first.t >= 0.2


def test_retry_after_is_capped(fake: FakeServer) -> None:
    fake.inject("openfda", "429:3600")
    svc = openfda.openfda_service(retry=FAST, cache=False)
    assert openfda.search_labels(svc, "x")
    first, second = fake.hits("openfda")[:2]
    assert 0.3 <= second.t - first.t < 2.0


def test_server_errors_are_retried_with_backoff(fake: FakeServer) -> None:
    fake.inject("europepmc", "500", "503")
    svc = europepmc.europepmc_service(retry=FAST, cache=False)
    page = next(europepmc.search(svc, "cancer"))
    assert len(page.results) == 25
    assert [h.status for h in fake.hits("europepmc")][:3] == [500, 503, 200]


def test_persistent_failure_gives_one_clear_line(fake: FakeServer) -> None:
    fake.inject("ctgov", *["500"] * 4)
    svc = ctgov.ctgov_service(retry=FAST, cache=False)
    with pytest.raises(SourceError) as err:
        next(ctgov.search_studies(svc, condition="x"))
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("ctgov: HTTP 500; gave up after 4 attempts")
    assert "/ctgov/studies" in msg and len(fake.hits("ctgov")) == 4


def test_client_errors_are_not_retried(fake: FakeServer) -> None:
    fake.inject("europepmc", "400")
    svc = europepmc.europepmc_service(retry=FAST, cache=False)
    with pytest.raises(SourceError, match="HTTP 400: bad query syntax"):
        next(europepmc.search(svc, "cancer"))
    assert len(fake.hits("europepmc")) == 1


def test_timeouts_are_retried(fake: FakeServer) -> None:
    fake.inject("ctgov", "sleep:1.0")
    svc = ctgov.ctgov_service(retry=FAST, cache=False)
    page = next(ctgov.search_studies(svc, condition="x"))
    assert len(page.studies) == 5 and len(fake.hits("ctgov")) == 2


def test_timeouts_until_the_end_name_the_timeout(fake: FakeServer) -> None:
    fake.inject("ctgov", *["sleep:0.8"] * 2)
    policy = RetryPolicy(attempts=2, backoff=0.01, timeout=0.3)
    with pytest.raises(SourceError, match="timed out .*gave up after 2 attempts"):
        next(ctgov.search_studies(ctgov.ctgov_service(retry=policy, cache=False), condition="x"))


@pytest.mark.parametrize("service", ["ctgov", "europepmc", "eutils"])
def test_truncated_bodies_are_retried_and_never_cached(fake: FakeServer, service: str) -> None:
    fake.inject(service, "truncate")
    result = _one_call(service, cache=True)
    assert result
    assert fake.hits(service)[0].status == 200 and len(fake.hits(service)) == 2
    # The cache holds the whole answer: a rerun is answered without the server.
    n = len(fake.log)
    assert _one_call(service, cache=True) == result and len(fake.log) == n


def test_corrupt_compressed_body_is_retried(fake: FakeServer) -> None:
    fake.inject("europepmc", "badgzip")
    assert _one_call("europepmc", cache=True)
    assert [h.status for h in fake.hits("europepmc")] == [200, 200]


@pytest.mark.parametrize(
    ("service", "fault"),
    [("ctgov", "badjson"), ("europepmc", "badjson"), ("openfda", "badjson"), ("eutils", "badxml")],
)
def test_malformed_bodies_are_retried_and_evicted(
    fake: FakeServer, service: str, fault: str
) -> None:
    fake.inject(service, fault)
    result = _one_call(service, cache=True)
    assert result and len(fake.hits(service)) == 2
    n = len(fake.log)
    assert _one_call(service, cache=True) == result and len(fake.log) == n


def test_malformed_until_the_end_is_a_clear_error(fake: FakeServer) -> None:
    fake.inject("eutils", *["badxml"] * 4)
    with pytest.raises(SourceError, match="eutils: malformed response: not well-formed XML"):
        _one_call("eutils", cache=True)


def _one_call(service: str, *, cache: bool) -> object:
    if service == "ctgov":
        svc = ctgov.ctgov_service(retry=FAST, cache=cache)
        return [
            s["protocolSection"]["identificationModule"]["nctId"]
            for s in next(ctgov.search_studies(svc, condition="x")).studies
        ]
    if service == "europepmc":
        svc = europepmc.europepmc_service(retry=FAST, cache=cache)
        return [r["id"] for r in next(europepmc.search(svc, "cancer")).results]
    if service == "openfda":
        svc = openfda.openfda_service(retry=FAST, cache=cache)
        return [r["set_id"] for r in openfda.search_labels(svc, "x")]
    svc = eutils.eutils_service(retry=FAST, cache=cache)
    return [r.pmid for r in eutils.efetch(svc, ["1234567", "22351513"], _parse)]


# A refused connection or an unresolvable name is not retried: tests/test_sources_unreachable.py.


# --- rate limits -------------------------------------------------------------------------


def _max_in_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    return max(sum(1 for u in times[i:] if u - t < window) for i, t in enumerate(times))


def test_eutils_without_key_never_exceeds_3_per_second(fake: FakeServer, monkeypatch) -> None:
    monkeypatch.delenv("OFFLABEL_HTTP_RATE")
    svc = eutils.eutils_service(retry=FAST, cache=False)
    for i in range(5):
        eutils.esearch(svc, f"term {i}")
    times = [h.t for h in fake.hits("eutils")]
    # NCBI counts per second at its end: no one-second window may hold a 4th request.
    assert len(times) == 5 and _max_in_window(times) <= 3
    assert times[-1] - times[0] >= 4 / 3


def test_eutils_rate_with_key_is_10_per_second(fake: FakeServer, monkeypatch) -> None:
    monkeypatch.delenv("OFFLABEL_HTTP_RATE")
    svc = eutils.eutils_service(retry=FAST, cache=False, api_key="k")
    assert 9 <= svc.limiter.rate <= 10
    for i in range(12):
        eutils.esearch(svc, f"term {i}")
    times = [h.t for h in fake.hits("eutils")]
    assert len(times) == 12 and _max_in_window(times) <= 10
    assert times[-1] - times[0] >= 1.0


def test_rate_limit_holds_across_threads(fake: FakeServer, monkeypatch) -> None:
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.delenv("OFFLABEL_HTTP_RATE")

    svc = make_service("ctgov", rate=20, retry=FAST, cache=False)  # 50 ms spacing
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: next(ctgov.search_studies(svc, term=f"t{i}")), range(16)))
    times = sorted(h.t for h in fake.hits("ctgov"))
    # Eight threads asking at once still arrive spread out: 16 requests need >= 15 slots.
    assert len(times) == 16 and times[-1] - times[0] >= 15 * 0.05 - 0.05
    assert _max_in_window(times, 0.25) <= 6  # 5 fit in 250 ms; one more for arrival jitter


def test_public_endpoints_ignore_the_rate_override(monkeypatch) -> None:
    monkeypatch.setenv("OFFLABEL_HTTP_RATE", "1000")
    monkeypatch.delenv("OFFLABEL_EUTILS_URL", raising=False)
    svc = eutils.eutils_service(cache=False)
    assert is_public_endpoint("eutils", svc.base_url) and svc.limiter.rate < 3.01


def test_cache_hits_do_not_spend_the_rate_budget(fake: FakeServer, monkeypatch) -> None:
    monkeypatch.delenv("OFFLABEL_HTTP_RATE")
    svc = eutils.eutils_service(retry=FAST)
    eutils.esearch(svc, "same")
    import time

    start = time.monotonic()
    for _ in range(6):
        eutils.esearch(svc, "same")
    assert time.monotonic() - start < 0.3 and len(fake.hits("eutils")) == 1


# --- units -------------------------------------------------------------------------------


def test_retry_after_forms() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= parse_retry_after(later) <= 30


def test_rate_limiter_spacing_on_a_fake_clock(monkeypatch) -> None:
    now = [100.0]
    slept: list[float] = []
    monkeypatch.setattr(
        "offlabel.sources.http.time.sleep",
        lambda s: (slept.append(s), now.__setitem__(0, now[0] + s)),
    )
    limiter = RateLimiter(4, clock=lambda: now[0])
    for _ in range(5):
        limiter.acquire()
    assert slept == pytest.approx([0.25, 0.25, 0.25, 0.25])


def test_europepmc_fixture_pages_parse_without_a_server() -> None:
    require_fixtures()
    import json

    page = europepmc.parse_page(json.loads((EPMC / "search_no_results.json").read_text()))
    assert page.hit_count == 0 and page.results == [] and page.next_cursor is None


def test_stale_answers_are_refetched_online_but_still_serve_offline(
    fake: FakeServer, monkeypatch
) -> None:
    from offlabel.sources.http import cache_report

    svc = ctgov.ctgov_service(retry=FAST)
    first = next(ctgov.search_studies(svc, condition="x")).studies
    monkeypatch.setenv("OFFLABEL_CACHE_TTL", "0")  # everything cached is now stale
    next(ctgov.search_studies(ctgov.ctgov_service(retry=FAST), condition="x"))
    assert len(fake.hits("ctgov")) == 2
    offline = ctgov.ctgov_service(retry=FAST, offline=True, refresh=True)
    assert next(ctgov.search_studies(offline, condition="x")).studies == first
    assert len(fake.hits("ctgov")) == 2
    (report,) = cache_report()
    assert (report.source, report.responses, report.fresh) == ("ctgov", 1, 0)
    assert report.newest is not None and report.newest == report.oldest
    monkeypatch.setenv("OFFLABEL_CACHE_TTL", "3600")
    assert cache_report()[0].fresh == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Baclofen tablets are indicated for the treatment of spasticity resulting from "
            "multiple sclerosis. Baclofen is not indicated in the treatment of skeletal muscle "
            "spasm resulting from rheumatic disorders.",
            ["spasticity"],
        ),
        (
            "Indicated for the relief of withdrawal symptoms of acute alcoholism.",
            ["alcohol_withdrawal"],
        ),
        (
            "Indicated for the maintenance of abstinence from alcohol in patients with alcohol "
            "dependence. It is not effective in alcohol withdrawal.",
            ["alcohol_use_disorder"],
        ),
        ("Avoid alcohol while taking this drug.", []),
    ],
)
def test_labelled_uses_are_read_conservatively(text: str, expected: list[str]) -> None:
    assert openfda.labelled_conditions(text) == expected


def test_drug_profile_lists_only_labelled_uses() -> None:
    facts = openfda.DrugFacts(
        name="baclofen",
        brand_names=["Lioresal"],
        indications=[
            "Baclofen is indicated for the treatment of spasticity resulting from "
            "multiple sclerosis."
        ],
        label_set_ids=["abc-123"],
        approvals=[
            openfda.Approval(
                "NDA000001", "X", ["Lioresal"], ["Tablet"], ["Oral"], ["Prescription"], "19990101"
            )
        ],
    )
    profile = openfda.drug_profile(facts)
    (approval,) = profile.approvals
    assert (approval.region, approval.status, approval.conditions) == (
        "US",
        "approved",
        ["spasticity"],
    )
    assert approval.year == 1999 and approval.forms == ["Tablet"]
    assert approval.sources[0].url.endswith("setid=abc-123")
    assert profile.id == "baclofen" and profile.brand_names == ["Lioresal"]


def test_brand_names_that_only_repeat_the_generic_name_are_dropped() -> None:
    labels = [
        {"openfda": {"brand_name": ["BACLOFEN"], "generic_name": ["BACLOFEN"]}},
        {"openfda": {"brand_name": ["Baclofen Tablets"], "generic_name": ["BACLOFEN"]}},
        {"openfda": {"brand_name": ["LIORESAL"], "generic_name": ["BACLOFEN"]}},
        {"openfda": {"brand_name": ["OZOBAX DS"], "generic_name": ["BACLOFEN"]}},
    ]
    facts = openfda.drug_facts("baclofen", labels, [])
    assert facts.brand_names == ["Lioresal", "Ozobax DS"]


def test_single_study_endpoint(fake: FakeServer) -> None:
    svc = ctgov.ctgov_service(retry=FAST)
    study = ctgov.get_study(svc, "NCT06604689")
    facts = ctgov.trial_facts(study)
    assert facts.nct == "NCT06604689" and facts.title
    with pytest.raises(SourceError, match="ctgov: HTTP 404: study not found"):
        ctgov.get_study(svc, "NCT00000000")
