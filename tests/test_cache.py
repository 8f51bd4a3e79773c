"""The on-disk cache (offlabel.cache): a cached answer is the answer, and any change to what it was
computed from (an evidence file, the question, the code) is never answered from an old entry."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from offlabel import cache
from offlabel.cli import app

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "example-evidence.yaml"


def _ask(*args: str) -> dict:
    r = CliRunner().invoke(app, ["ask", *args, "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("OFFLABEL_CACHE_DIR", str(folder))
    monkeypatch.delenv("OFFLABEL_NO_CACHE", raising=False)
    return folder


def test_a_cached_answer_is_the_answer(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _ask("baclofen", "alcohol use disorder")
    assert sorted(p.name.split("-")[0] for p in cache_dir.iterdir()) == ["answer", "evidence", "report"]
    again = _ask("baclofen", "alcohol use disorder")
    monkeypatch.setenv("OFFLABEL_NO_CACHE", "1")
    fresh = _ask("baclofen", "alcohol use disorder")
    assert first == again == fresh


def test_an_edited_evidence_file_is_never_answered_from_the_cache(cache_dir: Path,
                                                                   tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    shutil.copy(EXAMPLE, mine)
    before = _ask("exampleprofen", "alcoholism", "--no-bundled", "--evidence", str(mine))
    text = mine.read_text(encoding="utf-8")
    assert "Exampleprofen" in text
    mine.write_text(text.replace("Exampleprofen", "Exampleprofen Renamed", 1), encoding="utf-8")
    after = _ask("exampleprofen", "alcoholism", "--no-bundled", "--evidence", str(mine))
    assert before["drug"]["name"] != after["drug"]["name"]


def test_the_key_covers_the_code(cache_dir: Path) -> None:
    cache.save("probe", b"k", {"x": 1})
    assert cache.load("probe", b"k") == {"x": 1}
    assert cache.load("probe", b"other") is None
    cache.code_digest.cache_clear()
    real = cache.code_digest()
    try:
        cache.code_digest.cache_clear()
        # Pretend the code changed: the same key finds nothing.
        import offlabel.cache as mod

        original = mod.code_digest
        mod.code_digest = lambda: real + "changed"  # type: ignore[assignment]
        try:
            assert cache.load("probe", b"k") is None
        finally:
            mod.code_digest = original
    finally:
        cache.code_digest.cache_clear()


def test_a_broken_entry_is_only_a_slower_start(cache_dir: Path) -> None:
    first = _ask("baclofen", "cocaine")
    for p in cache_dir.iterdir():
        p.write_bytes(b"not a pickle")
    assert _ask("baclofen", "cocaine") == first


def test_a_cached_report_is_the_report(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def md(*extra: str) -> str:
        r = CliRunner().invoke(app, ["ask", "baclofen", "cocaine", "--format", "md", *extra])
        assert r.exit_code == 0, r.output
        return r.stdout

    first, again = md(), md()
    assert any(p.name.startswith("report-") for p in cache_dir.iterdir())
    assert md("--brief") != first  # the options are part of the key
    monkeypatch.setenv("OFFLABEL_NO_CACHE", "1")
    assert first == again == md()
