"""Run every benchmarks/bench_*.py in turn (what `make bench` calls).

Each benchmark is its own script and process, so one failing does not stop the others; the exit
status is non-zero if any failed. New benchmarks are picked up by their file name.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    failed = []
    for script in sorted(here.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)], cwd=here.parent)
        print(f"== {script.name}: exit {code} after {time.perf_counter() - start:.0f} s\n",
              flush=True)
        if code:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
