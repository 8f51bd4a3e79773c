"""A local stand-in for the four live services, seeded with the recorded real responses.

Serves /eutils, /ctgov, /europepmc and /openfda on 127.0.0.1 from the files in
../shared/fixtures (read in place, never copied), logs every request with its arrival time,
and injects faults on demand (429 + Retry-After, 500, slow answers, truncated bodies, a
connection reset mid-response, malformed JSON/XML). Other test modules import FakeServer from
here; the tests at the bottom check the server itself serves what the fixtures say.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
FIXTURES = SHARED / "fixtures"
EUTILS = FIXTURES / "ncbi-eutils"
CTGOV = FIXTURES / "clinicaltrials-gov-v2" / "genomoncology+biomcp/testdata/sources/ctgov"
EPMC = FIXTURES / "europe-pmc" / "JonasHeinickeBio+pyEuropePMC/tests/fixtures"
OPENFDA = FIXTURES / "openfda" / "genomoncology+biomcp/testdata/sources/openfda"
CASSETTES = EUTILS / "biocommons+eutils/tests/data/cassettes"
MEDLINE_SINGLES = SHARED / "medline-sample" / "tipplerow__pubmed/pubmed-lib/data/test"


def require_fixtures() -> None:
    if not FIXTURES.is_dir():
        pytest.skip(f"recorded responses not found at {FIXTURES} (the repo's sibling shared/)")


def _cassette_bodies() -> list[bytes]:
    import yaml

    out = []
    for name in (
        "test_efetch",
        "test_eutils_xmlfacades_pubmedarticle_22351513",
        "test_eutils_xmlfacades_pubmedarticle_29915538",
    ):
        doc = yaml.safe_load((CASSETTES / name).read_text())
        for it in doc["interactions"]:
            if (
                it["request"]["uri"].endswith("efetch.fcgi")
                and "db=pubmed" in it["request"]["body"]
            ):
                out.append(it["response"]["body"]["string"].encode())
    return out


def pubmed_corpus() -> dict[str, bytes]:
    """PMID -> serialised <PubmedArticle>, from the recorded EFetch answers (+ single files)."""
    from lxml import etree

    bodies = _cassette_bodies()
    if MEDLINE_SINGLES.is_dir():
        bodies += [p.read_bytes() for p in sorted(MEDLINE_SINGLES.glob("[0-9]*.xml"))]
    corpus: dict[str, bytes] = {}
    for body in bodies:
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
        for art in root.iter("PubmedArticle"):
            pmid = art.findtext("MedlineCitation/PMID")
            if pmid:
                corpus[pmid] = etree.tostring(art)
    return corpus


def _json(path: Path) -> dict:
    return json.loads(path.read_text())


@dataclass
class Hit:
    t: float  # time.monotonic() at arrival
    service: str
    path: str
    query: dict[str, str]
    status: int = 0


@dataclass
class FakeServer:
    """Start with .start(); base URLs via .url(service); .env() for a subprocess."""

    log: list[Hit] = field(default_factory=list)
    faults: dict[str, list[str]] = field(default_factory=dict)  # service -> queued faults
    delay: dict[str, float] = field(default_factory=dict)  # service -> seconds per request
    esearch_override: bytes | None = None
    port: int = 0

    def start(self) -> FakeServer:
        require_fixtures()
        self.corpus = pubmed_corpus()
        self.phelan1 = _json(CTGOV / "search_phelan_limit5_20260811.json")
        self.phelan2 = _json(CTGOV / "search_phelan_next_20260811.json")
        self.epmc1 = _json(EPMC / "search_cancer_core.json")
        self.epmc2 = _json(EPMC / "search_cancer_page2.json")
        self.epmc_end = _json(EPMC / "search_no_results.json")
        self.label = (OPENFDA / "label_keytruda_20260811.json").read_bytes()
        self.drugsfda = (OPENFDA / "drugsfda_imatinib_20260811.json").read_bytes()
        self.esearch_template = (
            EUTILS / "biopython+biopython/Tests/Entrez/esearch2.xml"
        ).read_bytes()
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep pytest output clean
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                try:
                    server._handle(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test) or was killed (kill -9 test)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.port}/{service}"

    def env(self) -> dict[str, str]:
        return {
            "OFFLABEL_EUTILS_URL": self.url("eutils"),
            "OFFLABEL_CTGOV_URL": self.url("ctgov"),
            "OFFLABEL_EUROPEPMC_URL": self.url("europepmc"),
            "OFFLABEL_OPENFDA_URL": self.url("openfda"),
        }

    def inject(self, service: str, *faults: str) -> None:
        with self.lock:
            self.faults.setdefault(service, []).extend(faults)

    def hits(self, service: str, path_suffix: str = "") -> list[Hit]:
        with self.lock:
            return [h for h in self.log if h.service == service and h.path.endswith(path_suffix)]

    # --- request handling ---------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        service, _, rest = parts.path.lstrip("/").partition("/")
        hit = Hit(time.monotonic(), service, rest, query)
        with self.lock:
            self.log.append(hit)
            fault = self.faults.get(service, []).pop(0) if self.faults.get(service) else None
        if self.delay.get(service):
            time.sleep(self.delay[service])
        if fault and fault != "ok":  # "ok" lets one request through before later faults
            hit.status = self._fault(h, fault, service)
            return
        try:
            status, ctype, body = self._route(service, rest, query)
        except KeyError as exc:
            status, ctype, body = 404, "text/plain", f"no route: {exc}".encode()
        hit.status = status
        self._send(h, status, ctype, body)

    @staticmethod
    def _send(
        h: BaseHTTPRequestHandler,
        status: int,
        ctype: str,
        body: bytes,
        headers: dict[str, str] | None = None,
        length: int | None = None,
    ) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)
        h.wfile.flush()

    def _fault(self, h: BaseHTTPRequestHandler, fault: str, service: str) -> int:
        kind, _, arg = fault.partition(":")
        if kind == "429":
            self._send(
                h, 429, "text/plain", b"Too Many Requests", {"Retry-After": arg} if arg else None
            )
            return 429
        if kind in ("500", "502", "503"):
            self._send(h, int(kind), "text/plain", b"upstream error")
            return int(kind)
        if kind == "400":
            self._send(h, 400, "application/json", b'{"error": {"message": "bad query syntax"}}')
            return 400
        if kind == "sleep":  # slower than the client's timeout
            time.sleep(float(arg or 1))
            self._send(h, 500, "text/plain", b"too late")
            return 500
        parts = urlsplit(h.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        status, ctype, body = self._route(service, parts.path.lstrip("/").partition("/")[2], query)
        if kind == "truncate":
            # Promise the whole body, send half, close: the client sees a short read.
            self._send(h, status, ctype, body[: len(body) // 2], length=len(body))
            h.close_connection = True
            try:
                h.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return status
        if kind == "reset":
            # Headers and half the body, then a TCP reset (linger 0): a connection dropped
            # mid-response, which the client must treat as transient.
            self._send(h, status, ctype, body[: len(body) // 2], length=len(body))
            h.close_connection = True
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.connection.close()
            return status
        if kind == "badgzip":  # claims gzip, is not: the client's decoder fails
            self._send(
                h, 200, ctype, b"\x1f\x8b\x08\x00garbage" + body[:50], {"Content-Encoding": "gzip"}
            )
            return 200
        if kind == "badjson":
            self._send(h, 200, "application/json", body[: len(body) // 3])
            return 200
        if kind == "badxml":
            self._send(h, 200, "text/xml", body[: len(body) // 3] + b"<<<")
            return 200
        raise ValueError(f"unknown fault {fault!r}")

    def _route(self, service: str, path: str, q: dict[str, str]) -> tuple[int, str, bytes]:
        if service == "eutils" and path == "esearch.fcgi":
            return 200, "text/xml", self._esearch(q)
        if service == "eutils" and path == "efetch.fcgi":
            if "WebEnv" in q:  # the history server: a slice of the last search, by position
                start, size = int(q.get("retstart", 0)), int(q.get("retmax", 20))
                ids = sorted(self.corpus)[start : start + size]
            else:
                ids = [i for i in q["id"].split(",") if i in self.corpus]
            body = (
                b'<?xml version="1.0" ?>\n<PubmedArticleSet>\n'
                + b"\n".join(self.corpus[i] for i in ids)
                + b"\n</PubmedArticleSet>\n"
            )
            return 200, "text/xml", body
        if service == "ctgov" and path == "studies":
            token = q.get("pageToken")
            if token is None:
                page = self.phelan1
            elif token == self.phelan1["nextPageToken"]:
                page = self.phelan2
            else:
                page = {"studies": []}
            return 200, "application/json", json.dumps(page).encode()
        if service == "ctgov" and path.startswith("studies/"):
            found = sorted(CTGOV.glob(f"get_{path.split('/', 1)[1].lower()}_*.json"))
            if not found:
                return 404, "application/json", b'{"message": "study not found"}'
            return 200, "application/json", found[0].read_bytes()
        if service == "europepmc" and path == "search":
            cursor = q.get("cursorMark", "*")
            if cursor == "*":
                page = self.epmc1
            elif cursor == self.epmc1["nextCursorMark"]:
                page = self.epmc2
            else:
                page = self.epmc_end
            return 200, "application/json", json.dumps(page).encode()
        if service == "openfda" and path == "drug/label.json":
            return 200, "application/json", self.label
        if service == "openfda" and path == "drug/drugsfda.json":
            return 200, "application/json", self.drugsfda
        raise KeyError(f"{service}/{path}")

    def _esearch(self, q: dict[str, str]) -> bytes:
        if self.esearch_override is not None:
            return self.esearch_override
        # The recorded ESearch answer (with its WebEnv) listing the PMIDs this server can serve.
        ids = sorted(self.corpus)
        start, size = int(q.get("retstart", 0)), int(q.get("retmax", 20))
        page = ids[start : start + size]
        body = self.esearch_template
        body = re.sub(rb"<Count>\d+</Count>", f"<Count>{len(ids)}</Count>".encode(), body)
        body = re.sub(rb"<RetMax>\d+</RetMax>", f"<RetMax>{len(page)}</RetMax>".encode(), body)
        body = re.sub(rb"<RetStart>\d+</RetStart>", f"<RetStart>{start}</RetStart>".encode(), body)
        id_list = b"<IdList>" + b"".join(f"<Id>{i}</Id>".encode() for i in page) + b"</IdList>"
        return re.sub(rb"<IdList>.*?</IdList>", id_list, body, flags=re.S)


@pytest.fixture
def fake() -> FakeServer:
    server = FakeServer().start()
    yield server
    server.stop()


def test_fake_server_serves_recorded_pages_in_order(fake: FakeServer) -> None:
    import httpx

    first = httpx.get(fake.url("ctgov") + "/studies").json()
    assert first["totalCount"] == 21 and len(first["studies"]) == 5
    second = httpx.get(
        fake.url("ctgov") + "/studies", params={"pageToken": first["nextPageToken"]}
    ).json()
    assert "totalCount" not in second and len(second["studies"]) == 5
    assert len(fake.corpus) >= 3
    xml = httpx.get(fake.url("eutils") + "/esearch.fcgi", params={"retmax": 2}).text
    assert "<WebEnv>" in xml and xml.count("<Id>") == 2


def test_fake_server_faults_are_served_once_each(fake: FakeServer) -> None:
    import httpx

    fake.inject("openfda", "429:3", "500")
    r1 = httpx.get(fake.url("openfda") + "/drug/label.json")
    r2 = httpx.get(fake.url("openfda") + "/drug/label.json")
    r3 = httpx.get(fake.url("openfda") + "/drug/label.json")
    assert (r1.status_code, r1.headers["Retry-After"]) == (429, "3")
    assert (r2.status_code, r3.status_code) == (500, 200)
    assert [h.status for h in fake.hits("openfda")] == [429, 500, 200]


if __name__ == "__main__":
    # Manual acceptance runs: `python tests/test_sources_server.py`, paste the exports, then
    # `offlabel collect baclofen "alcohol use disorder" --store /tmp/s.duckdb`.
    import sys

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    srv = FakeServer(port=port).start()
    for key, value in srv.env().items():
        print(f"export {key}={value}")
    print("export OFFLABEL_HTTP_RATE=50  # fine for this local server only", flush=True)
    try:
        srv.thread.join()
    except KeyboardInterrupt:
        srv.stop()
