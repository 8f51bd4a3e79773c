"""pipeline/: the application layer both faces call (the CLI and the web app).

It is the only place that combines the store with the stages: it loads the evidence, resolves
the question, adds what `collect` stored, appraises, and hands typed results to a report
format. A face parses its input, calls one function here, and picks a format.

    Offlabel(evidence=[...], store=PATH).ask("baclofen", "alcohol use disorder")

Everything raised on purpose is an offlabel.errors.OfflabelError.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from offlabel.evidence import EvidenceBase
    from offlabel.pipeline.ask import AskResult
    from offlabel.pipeline.collect import CollectResult, ProgressSink
    from offlabel.pipeline.evidence_map import EvidenceMap

__all__ = ["Offlabel"]


@dataclass
class Offlabel:
    """One application object: the evidence it answers from and the store it reads and writes.

    The parsed evidence is loaded once and each question gets its own copy of the containers,
    so records added from a store for one question never leak into the next.
    """

    evidence: Sequence[Path] = ()
    bundled: bool = True
    store: Path | None = None
    # A MEDLINE scan folder (`offlabel scan`): evidence maps, and the map of a question the
    # curated evidence does not cover.
    scan: Path | None = None
    _base: EvidenceBase | None = field(default=None, init=False, repr=False)
    _evidence_bytes: bytes | None = field(default=None, init=False, repr=False)

    def base(self) -> EvidenceBase:
        """A fresh evidence base (EvidenceError when a file does not validate)."""
        from offlabel.evidence import EvidenceBase, load_evidence

        if self._base is None:
            self._base = load_evidence(list(self.evidence), bundled=self.bundled)
        b = self._base
        return EvidenceBase(drugs=dict(b.drugs), studies=list(b.studies), files=list(b.files),
                            example_drugs=set(b.example_drugs))

    def ask(self, drug: str, condition: str | None = None, *,
            profile: dict[str, object] | None = None, record: bool = True) -> AskResult:
        """The answer; from the on-disk cache (offlabel.cache) when the question, the evidence
        files and offlabel's code are all the same as when it was computed. Answers that read
        a store are never cached: the store changes under them."""
        from offlabel import cache
        from offlabel.pipeline.ask import AskResult, ask

        key = None if self.store is not None else self._answer_key(drug, condition, profile)
        if key is not None:
            hit = cache.load("answer", key)
            if isinstance(hit, AskResult):
                return hit
        result = ask(self.base(), drug, condition, store=self.store, profile=profile,
                     record=record)
        if key is not None:
            cache.save("answer", key, result)
        return result

    def report(self, drug: str, condition: str | None, fmt: str, *,
               profile: dict[str, object] | None = None, width: int | None = None,
               color: bool = False, brief: bool = False) -> tuple[str, list[str]]:
        """The rendered report and the notes for the person asking. Cached like the answer it
        renders (same key, plus the format and its options): rendering 600 lines of tables is
        a good part of what `ask` costs."""
        from offlabel import cache

        key = None if self.store is not None else (
            self._answer_key(drug, condition, profile)
            + f"\0report\0{fmt}\0{width}\0{color}\0{brief}".encode())
        if key is not None:
            hit = cache.load("report", key)
            if isinstance(hit, tuple) and len(hit) == 2 and isinstance(hit[0], str):
                return hit[0], list(hit[1])
        from offlabel.report.formats import render_answer

        result = self.ask(drug, condition, profile=profile)
        text = render_answer(result.answer, fmt, width=width, color=color, brief=brief)
        if key is not None:
            cache.save("report", key, (text, result.notes))
        return text, result.notes

    def _answer_key(self, drug: str, condition: str | None,
                    profile: dict[str, object] | None) -> bytes:
        import json

        question = json.dumps([drug, condition, sorted((k, repr(v)) for k, v in
                                                        (profile or {}).items()), self.bundled])
        return question.encode() + b"\0" + self._evidence_key()

    def fingerprint(self) -> str:
        """A short digest of the evidence files this object answers from (the part of the
        answer cache's key that is not the question): a face keys its own caches with it."""
        import hashlib

        return hashlib.sha256(self._evidence_key() + repr(self.bundled).encode()).hexdigest()[:16]

    def _evidence_key(self) -> bytes:
        """The evidence files' content, read once per application object (as the evidence
        itself is loaded once), whatever number of questions it answers."""
        if self._evidence_bytes is None:
            from offlabel.evidence import bundled_files

            parts = [f"{name}\0{text}" for name, text in bundled_files()] if self.bundled else []
            for p in self.evidence:
                path = Path(p)
                files = sorted(path.glob("*.y*ml")) if path.is_dir() else [path]
                # A file that cannot be read is reported by the evidence loader, not here.
                parts += [f"{f}\0{f.read_text(encoding='utf-8', errors='replace')}"
                          for f in files if f.is_file()]
            self._evidence_bytes = "\0".join(parts).encode()
        return self._evidence_bytes

    def compare(self, condition: str, drugs: list[str]) -> dict[str, Any]:
        from offlabel.appraise.compare import compare_drugs
        from offlabel.report.compare import compare_dict

        return compare_dict(compare_drugs(self.base(), condition, drugs))

    def collect(self, drug: str, condition: str, *, offline: bool = False, refresh: bool = False,
                max_records: int | None = None, progress: ProgressSink | None = None
                ) -> CollectResult:
        from offlabel.pipeline.collect import run_collect

        return run_collect(drug, condition, store_path=self.store, offline=offline,
                           refresh=refresh, max_records=max_records, progress=progress)

    def export(self, drug: str | None, condition: str | None, fmt: str) -> str:
        from offlabel.pipeline.export import export_text

        return export_text(self.store, drug, condition, fmt)

    def evidence_map(self, drug: str | None, condition: str | None, *,
                     limit: int | None = 50) -> EvidenceMap:
        """The scan's map for DRUG (rows: conditions), CONDITION (rows: drugs) or the pair;
        UsageError without a scan, NotCovered (with the nearest names) for a name the scan
        lacks."""
        from offlabel.errors import UsageError
        from offlabel.pipeline import evidence_map as em

        if self.scan is None:
            raise UsageError("an evidence map needs a scan folder (--scan DIR)")
        base = self._base_or_none()
        if drug and condition:
            return em.pair_map(self.scan, drug, condition, base=base)
        if drug:
            return em.drug_map(self.scan, drug, base=base, limit=limit)
        if condition:
            return em.condition_map(self.scan, condition, limit=limit)
        raise UsageError("an evidence map needs a drug or a condition")

    def report_or_map(self, drug: str, condition: str | None, fmt: str, *,
                      profile: dict[str, object] | None = None, width: int | None = None,
                      color: bool = False, brief: bool = False) -> tuple[str, list[str], bool]:
        """`ask` with a scan: the curated answer when there is one (report()), else the scan's
        map of the pair, labelled as a map with no verdict. Returns (text, notes, is_map)."""
        from offlabel.errors import NotCovered

        try:
            text, notes = self.report(drug, condition, fmt, profile=profile, width=width,
                                      color=color, brief=brief)
        except NotCovered:
            if not self.maps_uncovered(condition):
                raise
            from offlabel.pipeline.evidence_map import map_dict
            from offlabel.report.formats import render_map

            m = self.evidence_map(drug, condition)
            return render_map(map_dict(m), fmt, width=width, color=color), [], True
        if self.scan is not None and condition:
            notes = [*notes, *self._scan_note(drug, condition)]
        return text, notes, False

    def maps_uncovered(self, condition: str | None) -> bool:
        """Whether a question the curated evidence does not cover gets the scan's map of the
        pair instead (every face applies this one rule): a scan is open and the question names
        a condition."""
        return self.scan is not None and bool(condition)

    def _scan_note(self, drug: str, condition: str) -> list[str]:
        from offlabel.errors import NotCovered, OfflabelError

        try:
            m = self.evidence_map(drug, condition)
        except NotCovered:
            return []
        except OfflabelError as exc:  # the curated answer stands whatever the scan's state
            return [f"the scan was not read: {exc}"]
        import shlex

        return [f"the scan has {m.records} machine-classified records of this pair "
                f"(offlabel map --drug {shlex.quote(drug)} --condition {shlex.quote(condition)} "
                f"--scan {shlex.quote(str(self.scan))})"]

    def _base_or_none(self) -> EvidenceBase | None:
        """The evidence base for brand names and synonyms; a map does without it when the
        evidence files do not load (their problems are `ask`'s to report)."""
        from offlabel.errors import EvidenceError

        try:
            return self.base()
        except EvidenceError:
            return None

    def store_path(self) -> Path:
        from offlabel.store import default_path

        return self.store or default_path()
