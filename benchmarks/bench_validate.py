"""Benchmark: `offlabel validate` on a large evidence file, time and peak memory.

`validate` used to compose the whole YAML node tree (and again for every duplicate id): 1 MB
took 2.9 s, 2 MB 11.4 s, 50 MB did not finish in 600 s. The target is a 50 MB file in under
60 s and under 1 GB peak RSS, whether every study is valid or every study has a problem.

    python benchmarks/bench_validate.py [--mb 50]

Prints one line per file kind: size, studies, problems, seconds and peak RSS of the
`offlabel validate` process (measured by the parent with resource.getrusage on its child).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HEAD = """schema_version: 1
example: true
drug:
  id: benchprofen
  name: Benchprofen (made-up drug for the benchmark)
  synonyms: [BP-1]
  sources: [{url: "https://example.org/drug", where: "Example drug page"}]
studies:
"""

STUDY = """  - id: {id}
    first_author: Author {i}
    year: {year}
    title: "An invented double-blind trial number {i} of benchprofen in alcohol use disorder"
    doi: 10.0000/bench.{i}
    conditions: [alcohol_use_disorder]
    design: rct
    randomised: true
    blinding: double
    comparator: placebo
    n: {n}
    duration_weeks: 12
    max_dose_mg_per_day: 60
    covariates: {{liver_disease: excluded, comorbid_psychiatric_disorder: excluded}}
    arms:
      - {{name: benchprofen 60 mg/day, drug: benchprofen, dose_mg_per_day: 60, n: 50}}
      - {{name: placebo, n: 50}}
    outcomes:
      - name: Relapse to heavy drinking
        kind: relapse
        timepoint: 12 weeks
        higher_is_better: false
        primary: true
        direction: no_difference
        effect: {{type: binary, events_drug: 20, total_drug: 50, events_control: 22, total_control: 50}}
        source: {{doi: 10.0000/bench.{i}, where: "Table 2 (invented)"}}
    direction: no_difference
    conclusion: Invented null result number {i}.
    sources: [{{doi: 10.0000/bench.{i}, where: "Abstract (invented)"}}]
"""


def evidence_yaml(studies: int, *, bad_every: int = 0, dup_every: int = 0) -> str:
    """An evidence file of `studies` studies. Every `bad_every`-th study has a negative n and
    every `dup_every`-th repeats the previous study's id (0: none)."""
    parts = [HEAD]
    for i in range(studies):
        dup = dup_every and i % dup_every == dup_every - 1 and i > 0
        bad = bad_every and i % bad_every == bad_every - 1
        parts.append(
            STUDY.format(
                id=f"study{i - 1 if dup else i}", i=i, year=1990 + i % 30, n=-5 if bad else 100
            )
        )
    return "".join(parts)


def studies_for(megabytes: float) -> int:
    return max(1, int(megabytes * 1e6 / len(STUDY.format(id="study0", i=0, year=1990, n=100))))


# Run by a wrapper process whose only child is `offlabel validate`, so that the wrapper's
# RUSAGE_CHILDREN peak is that command's own.
_WRAPPER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
run = subprocess.run([sys.executable, "-m", "offlabel", "validate", sys.argv[1]],
                     capture_output=True, text=True)
lines = run.stderr.strip().splitlines() or run.stdout.strip().splitlines() or [""]
print(json.dumps({"seconds": time.perf_counter() - start, "code": run.returncode,
                  "peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "last": lines[-1]}))
"""


def measure(path: Path) -> dict[str, Any]:
    """seconds, peak_kb, code and the last line printed, of `offlabel validate path`."""
    out = subprocess.run(
        [sys.executable, "-c", _WRAPPER, str(path)], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=50.0, help="size of each file (MB)")
    args = ap.parse_args()
    n = studies_for(args.mb)
    with tempfile.TemporaryDirectory() as tmp:
        for kind, bad in (("every study valid", 0), ("every study with a problem", 1)):
            path = Path(tmp) / "evidence.yaml"
            path.write_text(evidence_yaml(n, bad_every=bad))
            size = path.stat().st_size / 1e6
            r = measure(path)
            print(
                f"validate {size:.0f} MB, {n} studies, {kind}: {r['seconds']:.1f} s, "
                f"peak RSS {r['peak_kb'] / 1024:.0f} MB, exit {r['code']}; {r['last']}"
            )

if __name__ == "__main__":
    main()
