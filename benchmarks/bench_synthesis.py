"""Meta-analyses per second: offlabel.synthesis against PyMARE, statsmodels and metafor (issue 3).

Cases, on the same seeded data for every library in one run:
  (a) 10,000 random-effects meta-analyses of k = 10 (DL and REML);
  (b) one meta-analysis of k = 100,000 (DL and REML).
offlabel runs its batch API (``rma_batch``) with REML converged to 1e-10 (Newton steps on the
exact REML score); peers run at their own defaults. Times are the best of several repeats
(loops: one pass over a subset), with one BLAS thread for everyone. metafor runs only when ``Rscript`` is on
the PATH. Every comparison ends in ``ratio vs <peer> <case>: <offlabel / peer throughput>``.

    python benchmarks/bench_synthesis.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

# one BLAS thread for every library in this process: on a small shared machine threaded BLAS
# calls on tiny matrices only add contention noise
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

SEED = 20260601


def make_a(G: int, k: int):
    rng = np.random.default_rng(SEED)
    v = rng.uniform(0.01, 0.5, (G, k))
    tau2 = rng.uniform(0.0, 0.3, G)
    mu = rng.normal(0.0, 0.5, G)
    y = rng.normal(mu[:, None], np.sqrt(v + tau2[:, None]))
    return y, v


def make_b(K: int):
    rng = np.random.default_rng(SEED + 1)
    v = rng.uniform(0.01, 0.5, K)
    y = rng.normal(0.2, np.sqrt(v + 0.1))
    return y, v


def timed(fn, repeat: int) -> float:
    """Best wall time of ``repeat`` calls after a warm-up call (timeit's convention: on a
    shared machine the minimum is the least disturbed measurement), the same for every
    library."""
    fn()
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return float(np.min(ts))


class Report:
    def __init__(self):
        self.rates: dict[tuple[str, str], float] = {}

    def rate(self, who: str, case: str, n_analyses: int, seconds: float, note: str = "") -> None:
        r = n_analyses / seconds
        self.rates[(who, case)] = r
        print(f"{who:<22} {case:<18} {r:>14,.0f} meta-analyses/s{('  ' + note) if note else ''}",
              flush=True)

    def ratios(self, case: str) -> None:
        ours = self.rates.get(("offlabel", case))
        for (who, c), r in self.rates.items():
            if c == case and who != "offlabel" and ours:
                print(f"ratio vs {who} {case}: {ours / r:.2f}")


def bench_offlabel(rep: Report, ya, va, yb, vb, repeat: int):
    from offlabel.synthesis import rma_batch

    G, k = ya.shape
    codes = np.repeat(np.arange(G), k)
    yaf, vaf = ya.ravel(), va.ravel()
    out = {}
    for m in ("DL", "REML"):
        case = f"(a) {m}"
        sec = timed(lambda m=m: rma_batch(yaf, vaf, codes, method=m), repeat)
        rep.rate("offlabel", case, G, sec)
        out[case] = rma_batch(yaf, vaf, codes, method=m)
    for m in ("DL", "REML"):
        case = f"(b) {m}"
        sec = timed(lambda m=m: rma_batch(yb, vb, method=m), repeat)
        rep.rate("offlabel", case, 1, sec)
        out[case] = rma_batch(yb, vb, method=m)
    return out


def bench_pymare(rep: Report, ya, va, yb, vb, ours, repeat: int, n_loop: int):
    try:
        from pymare import estimators as pe
    except ImportError:
        print("note: PyMARE not installed (pip install -e '.[bench]'); skipped")
        return
    G, k = ya.shape
    X = np.ones((k, 1))
    est = {"DL": pe.DerSimonianLaird, "REML": lambda: pe.VarianceBasedLikelihoodEstimator(method="REML")}
    Y, V = np.ascontiguousarray(ya.T), np.ascontiguousarray(va.T)
    for m in ("DL", "REML"):
        case = f"(a) {m}"
        sec = timed(lambda m=m: est[m]().fit(y=Y, v=V, X=X), repeat if m == "DL" else max(1, repeat // 2))
        fit = est[m]().fit(y=Y, v=V, X=X)
        diff = np.max(np.abs(np.ravel(fit.params_["tau2"]) - ours[case].tau2))
        rep.rate("pymare-2d", case, G, sec, f"(max |tau2 - offlabel| = {diff:.1e})")

        def loop(m=m):
            for i in range(n_loop):
                est[m]().fit(y=ya[i][:, None], v=va[i][:, None], X=X)

        rep.rate("pymare-loop", case, n_loop, timed(loop, 1), f"(loop over {n_loop} analyses)")
    Xb = np.ones((len(yb), 1))
    for m in ("DL", "REML"):
        case = f"(b) {m}"
        sec = timed(lambda m=m: est[m]().fit(y=yb[:, None], v=vb[:, None], X=Xb), max(1, repeat // 2))
        fit = est[m]().fit(y=yb[:, None], v=vb[:, None], X=Xb)
        diff = abs(float(np.ravel(fit.params_["tau2"])[0]) - ours[case].tau2[0])
        rep.rate("pymare-2d", case, 1, sec, f"(|tau2 - offlabel| = {diff:.1e}; one analysis, so"
                 " the loop is the same call)")


def bench_statsmodels(rep: Report, ya, va, yb, vb, ours, n_loop: int):
    try:
        from statsmodels.stats.meta_analysis import combine_effects
    except ImportError:
        print("note: statsmodels not installed (pip install -e '.[bench]'); skipped")
        return
    bad = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        def loop():
            nonlocal bad
            bad = 0
            for i in range(n_loop):
                r = combine_effects(ya[i], va[i], method_re="dl")
                bad += r.tau2 < 0  # statsmodels does not truncate DL's tau2 at 0
        rep.rate("statsmodels", "(a) DL", n_loop, timed(loop, 1),
                 f"(loop over {n_loop}; {bad} of them with tau2 < 0)")
        sec = timed(lambda: combine_effects(yb, vb, method_re="dl"), 3)
        rep.rate("statsmodels", "(b) DL", 1, sec)
    print("note: statsmodels combine_effects has no REML estimator (method_re is 'dl' or"
          " 'iterated' = Paule-Mandel); no REML comparison")


R_SCRIPT = r"""
suppressPackageStartupMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); n <- as.integer(args[2])
out <- c()
for (m in c("DL", "REML")) {
  ids <- unique(d$g)[seq_len(n)]
  t0 <- proc.time()[["elapsed"]]
  tau2 <- numeric(n)
  nfail <- 0
  for (j in seq_along(ids)) {
    s <- d[d$g == ids[j], ]
    r <- try(rma(s$y, s$v, method = m), silent = TRUE)
    if (inherits(r, "try-error")) { tau2[j] <- NA; nfail <- nfail + 1 } else tau2[j] <- r$tau2
  }
  el <- proc.time()[["elapsed"]] - t0
  out <- c(out, sprintf("a %s %d %.6f %d", m, n, el, nfail))
  write.csv(data.frame(tau2 = tau2), paste0(args[3], "_", m, ".csv"), row.names = FALSE)
}
b <- read.csv(args[4])
for (m in c("DL", "REML")) {
  t0 <- proc.time()[["elapsed"]]
  r <- try(rma(b$y, b$v, method = m), silent = TRUE)
  el <- proc.time()[["elapsed"]] - t0
  if (inherits(r, "try-error")) out <- c(out, sprintf("b %s ERROR %s", m, gsub("\n", " ", r)))
  else out <- c(out, sprintf("b %s 1 %.6f", m, el))
}
writeLines(out)
"""


def bench_metafor(rep: Report, ya, va, yb, vb, ours, n_r: int):
    rscript = shutil.which("Rscript")
    if rscript is None:
        print("note: Rscript not on the PATH; metafor's rma loop skipped")
        return
    G, k = ya.shape
    n_r = min(n_r, G)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        rows = ["g,y,v"] + [f"{i},{float(ya[i, j])!r},{float(va[i, j])!r}" for i in range(n_r) for j in range(k)]
        (t / "a.csv").write_text("\n".join(rows) + "\n")
        (t / "b.csv").write_text("y,v\n" + "\n".join(f"{float(a)!r},{float(b)!r}" for a, b in zip(yb, vb, strict=True)) + "\n")
        (t / "bench.R").write_text(R_SCRIPT)
        try:
            proc = subprocess.run([rscript, str(t / "bench.R"), str(t / "a.csv"), str(n_r),
                                   str(t / "tau2"), str(t / "b.csv")],
                                  capture_output=True, text=True, timeout=1800)
        except subprocess.TimeoutExpired:
            print("note: metafor run timed out; skipped")
            return
        if proc.returncode != 0:
            print(f"note: metafor run failed: {proc.stderr.strip()[-300:]}")
            return
        for line in proc.stdout.split("\n"):
            parts = line.split()
            if len(parts) < 3:
                continue
            case = f"({parts[0]}) {parts[1]}"
            if parts[2] == "ERROR":
                print(f"note: metafor {case} k={len(yb):,}: {' '.join(parts[3:])[:160]}")
                continue
            n, sec = int(parts[2]), float(parts[3])
            note = f"(loop over {n} analyses)"
            if parts[0] == "a":
                raw = (t / f"tau2_{parts[1]}.csv").read_text().split()[1:]
                ref = np.array([float(x) if x != "NA" else np.nan for x in raw])
                ok = np.isfinite(ref)
                diff = np.max(np.abs(ref[ok] - ours[case].tau2[:n][ok]))
                note += (f" (max |tau2 - offlabel| = {diff:.1e}, metafor stops REML at a 1e-5"
                         f" change; {int(parts[4])} fits failed to converge in metafor)")
            rep.rate("metafor", case, n, sec, note)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller loops (a smoke test)")
    args = ap.parse_args(argv)
    G, k, K = 10_000, 10, 100_000
    repeat = 3 if args.quick else 7
    n_loop = 100 if args.quick else 500
    n_r = 300 if args.quick else 2000
    ya, va = make_a(G, k)
    yb, vb = make_b(K)
    print(f"# synthesis benchmark: (a) {G:,} analyses of k = {k}; (b) one analysis of k = {K:,}")
    rep = Report()
    ours = bench_offlabel(rep, ya, va, yb, vb, repeat)
    bench_pymare(rep, ya, va, yb, vb, ours, repeat, n_loop)
    bench_statsmodels(rep, ya, va, yb, vb, ours, n_loop)
    bench_metafor(rep, ya, va, yb, vb, ours, n_r)
    for case in ("(a) DL", "(a) REML", "(b) DL", "(b) REML"):
        rep.ratios(case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
