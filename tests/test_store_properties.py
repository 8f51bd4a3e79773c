"""Property tests: whatever order, overlap and repetition batches arrive in, the store ends up
with one row per record key, every key linked to the question, and nothing dangling."""

from __future__ import annotations

import itertools
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from offlabel.model import Classification, Design, Record
from offlabel.query import build_queries, resolve
from offlabel.sources.http import RateLimiter
from offlabel.store import SOURCE_RANK, Store

SOURCES = ["pubmed", "europepmc", "ctgov"]
_counter = itertools.count()


def _record(i: int, source: str, version: int) -> Record:
    if source == "ctgov":
        return Record(source=source, nct=f"NCT{i:08d}", title=f"Trial {i} v{version}")
    return Record(source=source, pmid=str(1000 + i), title=f"Paper {i} v{version}", year=2001)


batch = st.tuples(
    st.sampled_from(SOURCES),
    st.lists(st.tuples(st.integers(0, 12), st.integers(0, 2)), max_size=8),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=st.lists(batch, max_size=6), fail_at=st.integers(-1, 5))
def test_any_batch_sequence_leaves_a_consistent_store(batches, fail_at) -> None:
    with tempfile.TemporaryDirectory() as d, Store(Path(d) / "s.duckdb") as store:
        qid = f"q{next(_counter)}"
        store.upsert_question(qid, "d", "c", None)
        run = store.start_run(qid)
        expected: dict[str, tuple[str, str]] = {}  # key -> (source, title) that should win
        for n, (source, entries) in enumerate(batches):
            items = [
                (_record(i, source, v), Classification(design=Design.other)) for i, v in entries
            ]
            if n == fail_at:
                # A batch that dies inside its transaction must leave no trace.
                try:
                    store.write_batch(qid, run, source, items, trials=[{"no": "nct"}])
                except KeyError:
                    continue
                raise AssertionError("the broken batch was accepted")
            store.write_batch(qid, run, source, items)
            seen: set[str] = set()
            for record, _c in items:
                if record.key in seen:
                    continue  # the first copy within a batch is the one kept
                seen.add(record.key)
                old = expected.get(record.key)
                if old is None or SOURCE_RANK[source] <= SOURCE_RANK[old[0]]:
                    expected[record.key] = (source, record.title)
        assert store.check() == []
        got = {r.key: (r.source, r.title) for r, *_ in store.question_records(qid)}
        assert got == expected
        assert store.counts()["records"] == len(expected)


@given(
    drug=st.text(min_size=1, max_size=20).filter(lambda s: s.strip()),
    brands=st.lists(st.text(max_size=15), max_size=4),
    condition=st.text(min_size=1, max_size=30).filter(lambda s: s.strip()),
)
@example(drug='"', brands=[], condition="x")
@example(drug="x", brands=[], condition='"()"')
def test_queries_are_always_well_formed(drug, brands, condition) -> None:
    if not any(c.isalnum() for c in drug) or not any(c.isalnum() for c in condition):
        with pytest.raises(ValueError, match="nothing to search for"):
            build_queries(drug, resolve(condition), brands)
        return
    q = build_queries(drug, resolve(condition), brands)
    for text in (q.pubmed, q.europepmc):
        assert text.count('"') % 2 == 0  # user quotes cannot break the phrase quoting
        structure = re.sub(r'"[^"]*"', "", text)  # parentheses outside the phrases
        depth = 0
        for ch in structure:
            depth += (ch == "(") - (ch == ")")
            assert depth >= 0
        assert depth == 0
    for term in q.drug_terms:
        assert f'"{term}"[tiab]' in q.pubmed and f'TITLE_ABS:"{term}"' in q.europepmc
    assert q.drug_terms[0].lower() == " ".join(drug.replace('"', " ").split()).lower()


@given(rate=st.floats(0.5, 50), calls=st.lists(st.floats(0, 2), min_size=2, max_size=20))
def test_rate_limiter_never_grants_two_slots_closer_than_its_interval(rate, calls) -> None:
    now = [0.0]
    granted: list[float] = []

    import offlabel.sources.http as http

    limiter = RateLimiter(rate, clock=lambda: now[0])
    real_sleep = http.time.sleep
    http.time.sleep = lambda s: now.__setitem__(0, now[0] + s)  # type: ignore[assignment]
    try:
        for gap in calls:  # callers arrive at arbitrary times
            now[0] += gap
            limiter.acquire()
            granted.append(now[0])
    finally:
        http.time.sleep = real_sleep  # type: ignore[assignment]
    assert all(b - a >= 1 / rate - 1e-9 for a, b in itertools.pairwise(granted))
