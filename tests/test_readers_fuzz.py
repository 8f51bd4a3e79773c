"""Fuzz: truncated and corrupted input never escapes as anything but ReaderError, and what
was yielded before the fault is exactly the start of what the intact file gives. Read with an
`on_error` callback, nothing escapes at all: every fault is reported, one line each, and the
reader goes on."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from offlabel.classify.design import classify
from offlabel.sources.readers import FORMATS, ReaderError
from offlabel.sources.readers._common import squash

SHARED = Path(__file__).resolve().parents[2] / "shared"

SAMPLES = {
    "pubmed_xml": SHARED / "records/sk8erjs69+sr-project/test-files/pubmed_result.xml",
    "medline": SHARED / "records/p1m-ortho+qs-global-ortho-search-queries/citations (1).nbib",
    "ctgov": SHARED / "fixtures/clinicaltrials-gov-v2/genomoncology+biomcp/testdata/sources/"
    "ctgov/search_phelan_limit5_20260811.json",
    "europepmc": SHARED / "fixtures/europe-pmc/JonasHeinickeBio+pyEuropePMC/tests/fixtures/"
    "search_cancer_core.json",
}
SYNTHETIC = {
    "ris": (
        b"TY  - JOUR\nTI  - A randomised trial of\n      something\nAU  - Doe, J\n"
        b"PY  - 2019\nAB  - We randomly assigned 40 patients.\nER  - \n"
    )
    * 5,
    "csv": b'pmid,title,abstract,year\n1,"One, a title","An abstract",2001\n'
    b'2,Two,"Another ""quoted"" one",2002\n3,Three,,2003\n',
}

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def load(fmt: str) -> bytes:
    if fmt in SYNTHETIC:
        return SYNTHETIC[fmt]
    path = SAMPLES[fmt]
    if not path.exists():
        pytest.skip(f"{path} not present (shared data sits beside the repository)")
    return path.read_bytes()


def run(fmt: str, data: bytes) -> tuple[list, ReaderError | None]:
    out = []
    try:
        for rec in FORMATS[fmt](data, name=f"fuzz.{fmt}"):
            classify(rec, text_only=True)  # the classifier must survive whatever comes out
            out.append(rec)
    except ReaderError as exc:
        assert str(exc).startswith("fuzz."), str(exc)
        assert "\n" not in str(exc)
        return out, exc
    return out, None


def run_on(fmt: str, data: bytes) -> tuple[list, list[ReaderError]]:
    """The records and the reported faults of a reader given on_error (which must not raise)."""
    errors: list[ReaderError] = []
    out = []
    for rec in FORMATS[fmt](data, name=f"fuzz.{fmt}", on_error=errors.append):
        classify(rec, text_only=True)
        out.append(rec)
    for exc in errors:
        assert isinstance(exc, ReaderError)
        assert str(exc).startswith("fuzz."), str(exc)
        assert "\n" not in str(exc)
    return out, errors


@pytest.mark.parametrize("fmt", sorted([*SAMPLES, *SYNTHETIC]))
@FUZZ
@given(cut=st.floats(min_value=0.0, max_value=1.0))
def test_truncated_input_yields_a_prefix(fmt, cut):
    data = load(fmt)
    full, err = run(fmt, data)
    assert err is None and full
    assert run_on(fmt, data) == (full, [])
    for got in (run(fmt, data[: int(len(data) * cut)])[0], run_on(fmt, data[: int(len(data) * cut)])[0]):
        # a cut can shorten the last record's final field, so compare ids of all but the last
        assert [r.key for r in got[:-1]] == [r.key for r in full[: max(len(got) - 1, 0)]]
        assert len(got) <= len(full)


@pytest.mark.parametrize("fmt", sorted([*SAMPLES, *SYNTHETIC]))
@FUZZ
@given(data=st.data())
def test_corrupted_input_never_raises_anything_else(fmt, data):
    raw = bytearray(load(fmt))
    for _ in range(data.draw(st.integers(1, 5))):
        pos = data.draw(st.integers(0, len(raw)))
        junk = data.draw(st.binary(min_size=1, max_size=12))
        if data.draw(st.booleans()):
            raw[pos:pos] = junk  # insert
        else:
            raw[pos : pos + len(junk)] = junk  # overwrite
    strict, err = run(fmt, bytes(raw))
    read_on, errors = run_on(fmt, bytes(raw))
    # with on_error the reader reads on past the first fault, never reads less
    assert len(read_on) >= len(strict)
    assert (err is None) <= (not errors) or fmt == "pubmed_xml"


@FUZZ
@given(blob=st.binary(max_size=400))
def test_arbitrary_bytes_in_every_reader(blob):
    for fmt in FORMATS:
        run(fmt, blob)
        run_on(fmt, blob)


@FUZZ
@given(cut=st.integers(min_value=0, max_value=4000))
def test_truncated_gzip(cut):
    data = gzip.compress(load("pubmed_xml"))
    run("pubmed_xml", data[:cut])
    run_on("pubmed_xml", data[:cut])


@example("a  b")
@example(" a")
@example("a\u2009b")
@given(
    text=st.text(
        alphabet=st.one_of(
            st.sampled_from(" \t\n\r\x0b\x0c\x1c\x85\xa0\u2009\u2028\u3000ab"),
            st.characters(),
        ),
        max_size=40,
    )
    | st.lists(st.sampled_from(["a", "b", " ", "  ", "\n"]), max_size=12).map("".join)
)
def test_squash_shortcut_equals_split_and_join(text):
    # squash skips the re-join when it judges the text clean; the answer must not change
    assert squash(text) == " ".join(text.split())


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="0123456789 x-\u0661\u00b2", max_size=12))
@example(text="1799")
@example(text="2100")
@example(text="2101")
@example(text="\u0662\u0660\u0661\u0669")
@example(text="19\u00b20")
def test_parse_year_shortcut_reads_as_the_pattern(text):
    from offlabel.sources.readers._common import _YEAR, parse_year

    m = _YEAR.search(text)
    assert parse_year(text) == (int(m.group(1)) if m else None)
