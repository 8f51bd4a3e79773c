"""Start-up: how long `offlabel ask baclofen "alcohol use disorder"` takes, as a user runs it.

Each run is a new process on a warm venv. After the first run the parsed bundled evidence and the
answer are cached on disk, keyed by the evidence files' content, the question and offlabel's code
(offlabel.cache). Prints the median of 10 runs after one warm-up, and for comparison the median
with the cache switched off (everything parsed and appraised afresh), measured in the same run.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ARGS = ["ask", "baclofen", "alcohol use disorder"]
RUNS = 10


def _offlabel() -> list[str]:
    exe = Path(sys.executable).with_name("offlabel")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "offlabel"]


def median_seconds(env: dict[str, str]) -> float:
    cmd = [*_offlabel(), *ARGS]
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)  # warm-up
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    env = dict(os.environ)
    cached = median_seconds(env)
    uncached = median_seconds({**env, "OFFLABEL_NO_CACHE": "1"})
    print(f"ask latency: {cached:.2f} s (median of {RUNS})")
    print(f"ask latency with the cache off (OFFLABEL_NO_CACHE): {uncached:.2f} s (median of {RUNS}); "
          f"ratio {uncached / cached:.2f}")


if __name__ == "__main__":
    main()
