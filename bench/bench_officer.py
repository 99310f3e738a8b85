"""Officer-tools benchmark: export, import, fmt --check and the open-data dumps.

Works on a scratch copy of the shipped registry (4,236 powers; the synthetic stand-in of
``bench_history.synthesize`` while ``data/powers`` is empty) and measures:

- ``powers export -f xlsx`` of the whole registry (target ≤ 10 s), and CSV;
- ``powers import`` of that 4,236-row spreadsheet (target ≤ 30 s): into the registry it
  came from (every row unchanged), and into a copy with every power file deleted (every
  row created, so every record is validated and written);
- ``powers fmt --check`` of every record (target ≤ 5 s), without and with the cache;
- ``registry.dumps.write_dumps`` (the five bulk downloads of the site's open-data page).

Run: .venv/bin/python bench/bench_officer.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_history import copy_shipped, synthesize  # noqa: E402

from registry.dumps import write_dumps  # noqa: E402
from registry.exporter import export  # noqa: E402
from registry.fmt import collect, format_files  # noqa: E402
from registry.importer import import_sheet  # noqa: E402
from registry.snapshot import load_snapshot  # noqa: E402


def _cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


CPU: list[float] = []  # CPU seconds of the last measurement (this process and its workers)


def timed(fn, repeat: int) -> tuple[float, object]:
    """Median wall-clock seconds of ``repeat`` runs (CPU seconds of the median run in CPU[0];
    on a busy machine CPU time is the steadier figure)."""
    runs, result = [], None
    for _ in range(repeat):
        cpu, started = _cpu(), time.perf_counter()
        result = fn()
        runs.append((time.perf_counter() - started, _cpu() - cpu))
    runs.sort()
    CPU[:] = [runs[len(runs) // 2][1]]
    return runs[len(runs) // 2][0], result


def say(text: str) -> None:
    print(f"{text}   [cpu {CPU[0]:.2f} s]" if CPU else text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        root = tmp / "registry"
        n = copy_shipped(root)
        source = "shipped"
        if n == 0:
            shutil.rmtree(root)
            n = synthesize(root)
            source = "synthetic stand-in"
        print(f"registry: {n:,} power records ({source}); load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        snap = load_snapshot(root)  # warms the record cache, as an officer's machine has it

        seconds, _ = timed(lambda: export(load_snapshot(root), "xlsx", tmp / "all.xlsx"),
                           args.repeat)
        size = (tmp / "all.xlsx").stat().st_size
        say(f"export xlsx (snapshot + sheet)  {seconds:6.2f} s   {size / 1e6:.1f} MB  "
           "(target ≤ 10 s)")
        seconds, _ = timed(lambda: export(snap, "csv", tmp / "all.csv"), args.repeat)
        say(f"export csv                      {seconds:6.2f} s")

        seconds, report = timed(lambda: import_sheet(root, tmp / "all.xlsx"), args.repeat)
        say(f"import xlsx, {report.count('unchanged'):,} rows unchanged   {seconds:6.2f} s   "
           f"(target ≤ 30 s)")
        assert report.ok and report.count("unchanged") == n

        def fresh_import():
            target = tmp / "empty"
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(root / "data", target / "data",
                            ignore=shutil.ignore_patterns("powers"))
            shutil.copytree(root / "shapes", target / "shapes")
            return import_sheet(target, tmp / "all.xlsx", use_cache=False)

        seconds, report = timed(fresh_import, 1)
        say(f"import xlsx, {report.count('created'):,} rows created    {seconds:6.2f} s   "
           "(validated and written; no cache)")
        assert report.ok, [r.messages for r in report.rows if r.action == "error"][:3]

        paths = collect(root)
        seconds, result = timed(lambda: format_files(root, paths, check=True, use_cache=False),
                                args.repeat)
        say(f"fmt --check, {result.checked:,} records, cold {seconds:6.2f} s   "
           f"({len(result.changed)} not canonical; target ≤ 5 s)")
        format_files(root, paths, check=True)  # fills the cache
        seconds, result = timed(lambda: format_files(root, paths, check=True), args.repeat)
        say(f"fmt --check, {result.checked:,} records, warm {seconds:6.2f} s   "
           "(unchanged files skipped by blob id)")

        seconds, dists = timed(lambda: write_dumps(snap, tmp / "dumps"), args.repeat)
        sizes = ", ".join(f"{d.filename} {d.size / 1e6:.1f} MB" for d in dists)
        say(f"write_dumps (5 files)           {seconds:6.2f} s   {sizes}")


if __name__ == "__main__":
    main()
