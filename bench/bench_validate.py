"""Benchmark `powers validate`: cold (no cache), warm (nothing changed), one record changed.

Prints wall time and peak memory of each run (a fresh process each time, as an officer
or CI would run it). Not a test: it measures and prints.

    python bench/bench_validate.py [--root DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(root: Path, *args: str) -> tuple[float, float, int, float]:
    """Wall seconds, peak RSS (MB) of the child or a worker, exit code, CPU seconds."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "cli", "validate", "--root", str(root), *args],
                          cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (usage.ru_utime + usage.ru_stime)
    return seconds, after.ru_maxrss / 1024, done.returncode, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO)
    parser.add_argument("--repeat", type=int, default=3)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # work on a copy so the benchmark never touches the registry's own cache
        root = Path(tmp) / "registry"
        shutil.copytree(opts.root / "data", root / "data")
        shutil.copytree(opts.root / "shapes", root / "shapes")
        files = sum(1 for _ in (root / "data").rglob("*.ttl"))
        print(f"registry: {opts.root} ({files:,} files), cores: {os.cpu_count()}, "
              f"load average: {os.getloadavg()[0]:.2f}")
        rows = []
        cold = [run(root, "--no-cache") for _ in range(opts.repeat)]
        rows.append(("cold (--no-cache)", cold))
        run(root)  # fill the cache
        warm = [run(root) for _ in range(opts.repeat)]
        rows.append(("warm, nothing changed", warm))
        one = sorted((root / "data" / "powers").rglob("*.ttl"))[0]
        edits = []
        for i in range(opts.repeat):
            text = one.read_text(encoding="utf-8")
            one.write_text(text.replace('"@zh ;', f'{i}"@zh ;', 1), encoding="utf-8")
            edits.append(run(root))
        rows.append(("one record changed", edits))
        print(f"{'run':<24}{'median s':>10}{'min s':>8}{'CPU s':>8}{'peak MB':>10}  exit")
        for name, results in rows:
            secs = [r[0] for r in results]
            print(f"{name:<24}{statistics.median(secs):>10.2f}{min(secs):>8.2f}"
                  f"{statistics.median(r[3] for r in results):>8.2f}"
                  f"{max(r[1] for r in results):>10.0f}  {results[-1][2]}")


if __name__ == "__main__":
    main()
