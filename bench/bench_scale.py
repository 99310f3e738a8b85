"""Benchmark every scale figure at 4,236 records (this repository) and 40,000 (generated).

For each size it prepares a throw-away git repository (a copy of the registry: data/ and
shapes/, one commit), then runs each command as a fresh process, as an officer, CI or a
server would, and records wall time and peak memory:

- ``powers validate --no-cache`` (cold), then ``powers validate`` twice (the second warm);
- ``powers check --base HEAD`` after 5 records change (warm cache, and with no cache, as
  in a fresh CI clone);
- ``powers build`` full, then again after one record changes (incremental);
- ``powers serve --no-site``: seconds until the API answers, until SPARQL is ready, and
  the p50/p99 of 1,000 sequential lookups ``GET /api/powers/<code>``;
- ``powers publish`` into a fresh Oxigraph server and a fresh Virtuoso (each when it is
  installed; started as the publish tests start them, ``tests/sparqlstores.py``).

Peak memory is the largest sum of PSS over the command's whole process tree (workers
included), sampled every 0.5 s; CPU seconds (user + system, the
workers included) are printed too: they vary less than wall time on a busy machine. The 1-minute load average is printed beside each figure:
the machine may be shared. A table with the 40k/4k ratio and the targets closes the run.

    python bench/bench_scale.py                          # 4,236 and /tmp/scale40k
    python bench/bench_scale.py --sizes 4236 --skip build,api
    python bench/bench_scale.py --big /tmp/scale40k --work /tmp/bench-scale --json out.json

The 40,000-record registry is generated (``scripts/generate_sample.py --records 40000``)
into ``--big`` when that folder holds none.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIG = 40_000
SMALL = 4_236
#: figure → (target at 40k, unit); None: reported, no target.
TARGETS = {
    "validate cold": (120.0, "s"),
    "validate warm": (None, "s"),
    "check 5 records (warm cache)": (5.0, "s"),
    "check 5 records (no cache)": (None, "s"),
    "build full": (180.0, "s"),
    "build after 1 change": (5.0, "s"),
    "api start-up (REST ready)": (None, "s"),
    "api start-up (SPARQL ready)": (None, "s"),
    "api lookup p50": (None, "ms"),
    "api lookup p99": (30.0, "ms"),
    "publish to oxigraph": (None, "s"),
    "publish to virtuoso": (None, "s"),
}
MEMORY_TARGET_MB = 4096


# --- measuring ------------------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(_children(p))
    return out


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemorySampler:
    """Peak of the summed PSS of a process tree, sampled in a thread."""

    def __init__(self, pid: int, every: float = 0.5):
        self.pid, self.every, self.peak_kb = pid, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(p) for p in _tree(self.pid)))
            self._stop.wait(self.every)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024


@dataclass
class Figure:
    name: str
    value: float  # seconds, or ms for latencies
    memory_mb: float | None = None
    load: float = 0.0
    note: str = ""
    cpu: float | None = None  # CPU seconds of the process tree (user + system)


@dataclass
class Run:
    size: int
    root: Path
    figures: dict[str, Figure] = field(default_factory=dict)

    def add(self, fig: Figure, cpu: bool = True) -> None:
        if cpu and fig.cpu is None and fig.name not in ("api lookup p50", "api lookup p99"):
            fig.cpu = LAST_CPU[0]
        self.figures[fig.name] = fig
        unit = TARGETS.get(fig.name, (None, "s"))[1]
        mem = f"  peak {fig.memory_mb:,.0f} MB" if fig.memory_mb is not None else ""
        cpu = f"  cpu {fig.cpu:,.1f} s" if fig.cpu is not None else ""
        print(f"  [{self.size:,}] {fig.name}: {fig.value:,.2f} {unit}{cpu}{mem}  "
              f"(load {fig.load:.1f})"
              f"{'  ' + fig.note if fig.note else ''}", flush=True)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


#: CPU seconds of the last ``powers`` run (its workers included: they are waited for).
LAST_CPU = [0.0]


def powers(root: Path, *args: str, check: bool = True, env: dict | None = None
           ) -> tuple[float, float, subprocess.CompletedProcess, float]:
    """Run ``powers ARGS --root ROOT``: (seconds, peak MB, result, load average); its CPU
    seconds are left in ``LAST_CPU[0]``."""
    load = os.getloadavg()[0]
    cpu_before = _cpu()
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "cli", *args, "--root", str(root)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, **(env or {})))
    with MemorySampler(proc.pid) as mem:
        stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - started
    LAST_CPU[0] = _cpu() - cpu_before
    done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    if check and done.returncode not in (0, 1):
        raise RuntimeError(f"powers {' '.join(args)} failed ({done.returncode}): "
                           f"{done.stderr[-2000:]}")
    return seconds, mem.peak_mb, done, load


# --- preparing --------------------------------------------------------------------------

def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          text=True).stdout


def prepare(source: Path, dest: Path, reuse: bool = False) -> Path:
    """A git repository at ``dest`` holding ``source``'s registry (data/, shapes/)."""
    if reuse and (dest / ".git").is_dir():
        git(dest, "reset", "-q", "--hard", git(dest, "rev-list", "--max-parents=0", "HEAD").strip())
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name in ("data", "shapes"):
        shutil.copytree(source / name, dest / name)
    (dest / ".gitignore").write_text(".powers-cache/\n_site/\n")
    git(dest, "init", "-q", "-b", "main")
    git(dest, "config", "user.name", "bench")
    git(dest, "config", "user.email", "bench@powers.example.org")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "registry")
    return dest


def ensure_big(big: Path) -> Path:
    if (big / "data" / "powers").is_dir():
        return big
    big.mkdir(parents=True, exist_ok=True)
    for name in ("ontology", "vocabularies"):
        shutil.copytree(REPO / "data" / name, big / "data" / name, dirs_exist_ok=True)
    shutil.copytree(REPO / "shapes", big / "shapes", dirs_exist_ok=True)
    print(f"generating {BIG:,} records into {big} …", flush=True)
    subprocess.run([sys.executable, str(REPO / "scripts" / "generate_sample.py"), "--records",
                    str(BIG), "--root", str(big)], check=True)
    return big


def power_files(root: Path, n: int, seed: int = 7) -> list[Path]:
    files = sorted((root / "data" / "powers").glob("*/*.ttl"))
    return random.Random(seed).sample(files, n)


def touch_records(files: list[Path], mark: str) -> None:
    """A small, valid change to each record: its Chinese handling-unit text."""
    for f in files:
        text = f.read_text(encoding="utf-8")
        key = "pw:handlingUnit \""
        at = text.index(key) + len(key)
        f.write_text(text[:at] + mark + text[at:], encoding="utf-8")


# --- the figures ------------------------------------------------------------------------

def bench_validate(run: Run) -> None:
    s, mb, done, load = powers(run.root, "validate", "--no-cache", "--format", "json")
    errors = json.loads(done.stdout).get("errors", "?") if done.stdout.strip() else "?"
    run.add(Figure("validate cold", s, mb, load, f"exit {done.returncode}, {errors} errors"))
    powers(run.root, "validate", "--format", "json")  # fills the cache
    s, mb, done, load = powers(run.root, "validate", "--format", "json")
    run.add(Figure("validate warm", s, mb, load))


def bench_check(run: Run) -> None:
    changed = power_files(run.root, 5)
    touch_records(changed, "（核对）")
    try:
        s, mb, done, load = powers(run.root, "check", "--base", "HEAD", "--format", "json")
        data = json.loads(done.stdout)
        run.add(Figure("check 5 records (warm cache)", s, mb, load,
                       f"{len(data['changed'])} changed, {data['revalidated']} re-validated, "
                       f"exit {done.returncode}"))
        cache = run.root / ".powers-cache"
        kept = run.root.parent / f".cache-{run.size}"
        if kept.exists():
            shutil.rmtree(kept)
        shutil.move(cache, kept)
        try:
            s, mb, done, load = powers(run.root, "check", "--base", "HEAD", "--format", "json")
            run.add(Figure("check 5 records (no cache)", s, mb, load, f"exit {done.returncode}"))
        finally:
            if cache.exists():
                shutil.rmtree(cache)
            shutil.move(kept, cache)
    finally:
        git(run.root, "checkout", "-q", "--", "data")


def bench_build(run: Run) -> None:
    site = run.root / "_site"
    if site.exists():
        shutil.rmtree(site)
    s, mb, done, load = powers(run.root, "build", "--json", check=False)
    if done.returncode != 0:
        run.add(Figure("build full", float("nan"), mb, load,
                       f"FAILED exit {done.returncode}: {done.stderr.strip()[-300:]}"))
        return
    report = json.loads(done.stdout)
    run.add(Figure("build full", s, mb, load, f"{report.get('pages', '?'):,} pages; "
                   f"steps {_top(report.get('timings', {}))}"))
    changed = power_files(run.root, 1, seed=11)
    touch_records(changed, "（改）")
    git(run.root, "commit", "-q", "-am", "one record changes")  # as a merge would
    try:
        s, mb, done, load = powers(run.root, "build", "--json", check=False)
        if done.returncode != 0:
            run.add(Figure("build after 1 change", float("nan"), mb, load,
                           f"FAILED exit {done.returncode}: {done.stderr.strip()[-300:]}"))
            return
        report = json.loads(done.stdout)
        run.add(Figure("build after 1 change", s, mb, load,
                       f"rendered {report.get('rendered', '?')}; steps "
                       f"{_top(report.get('timings', {}))}"))
    finally:
        git(run.root, "reset", "-q", "--hard", "HEAD~1")


def _top(timings: dict, n: int = 4) -> str:
    items = sorted(timings.items(), key=lambda kv: -float(kv[1] or 0))[:n]
    return ", ".join(f"{k} {float(v):.1f}s" for k, v in items)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def bench_api(run: Run, lookups: int = 1000) -> None:
    import http.client

    port = _free_port()
    load = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--root", str(run.root),
                             "--no-site", "--port", str(port)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    rest = sparql = None
    try:
        with MemorySampler(proc.pid) as mem:
            deadline = time.time() + 600
            while time.time() < deadline and sparql is None:
                if proc.poll() is not None:
                    raise RuntimeError(proc.stderr.read().decode()[-2000:])
                try:
                    status, body = _get(base + "/api/health", 2)
                except OSError:
                    status, body = 0, b""
                if status == 200:
                    rest = rest or time.perf_counter() - started
                    if json.loads(body).get("sparql") == "ready":
                        sparql = time.perf_counter() - started
                time.sleep(0.05)
            codes = sorted(p.stem for p in (run.root / "data" / "powers").glob("*/*.ttl"))
            picks = random.Random(3).choices(codes, k=lookups)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            times = []
            for code in picks[:50]:  # warm the connection
                conn.request("GET", f"/api/powers/{code}")
                conn.getresponse().read()
            for code in picks:
                t = time.perf_counter()
                conn.request("GET", f"/api/powers/{code}", headers={"Accept": "application/json"})
                resp = conn.getresponse()
                resp.read()
                times.append((time.perf_counter() - t) * 1000)
                if resp.status != 200:
                    raise RuntimeError(f"lookup {code}: HTTP {resp.status}")
            conn.close()
            time.sleep(1.0)
        times.sort()
        p50 = statistics.median(times)
        p99 = times[int(len(times) * 0.99) - 1]
        run.add(Figure("api start-up (REST ready)", rest or float("nan"), None, load), cpu=False)
        run.add(Figure("api start-up (SPARQL ready)", sparql or float("nan"), mem.peak_mb, load,
                       "peak = server + SPARQL zygote and workers + search index"), cpu=False)
        run.add(Figure("api lookup p50", p50, None, os.getloadavg()[0]), cpu=False)
        run.add(Figure("api lookup p99", p99, None, os.getloadavg()[0],
                       f"{lookups} sequential keep-alive GET /api/powers/<code>"), cpu=False)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def bench_publish(run: Run) -> None:
    """Publish into each SPARQL store installed here, started fresh (the same starters as
    the publish tests: the oxigraph server from PyPI, Debian's Virtuoso)."""
    sys.path.insert(0, str(REPO / "tests"))
    from sparqlstores import StoreMissing, oxigraph_server, virtuoso_server

    for start in (oxigraph_server, virtuoso_server):
        name = start.__name__.removesuffix("_server")
        folder = run.root.parent / f"{name}-{run.size}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        try:
            with start(folder) as server:
                s, mb, done, load = powers(run.root, "publish", "--sparql-store", server.base,
                                           "--layout", server.layout, "--no-validate", "--json")
                data = json.loads(done.stdout)
                disk = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6
                run.add(Figure(f"publish to {name}", s, mb, load,
                               f"{data['triples']:,} triples in {data['requests']} requests, "
                               f"store {disk:,.0f} MB on disk; steps {_top(data['timings'])}"))
        except StoreMissing as exc:
            print(f"  (publish to {name} skipped: {exc})")
        finally:
            shutil.rmtree(folder, ignore_errors=True)


STEPS = {"validate": bench_validate, "check": bench_check, "build": bench_build,
         "api": bench_api, "publish": bench_publish}


# --- the table ------------------------------------------------------------------------------

def table(runs: list[Run]) -> str:
    small = next((r for r in runs if r.size == SMALL), None)
    big = next((r for r in runs if r.size == BIG), None)
    lines = ["| figure | 4,236 | 40,000 | 40k/4k | target at 40k |", "|---|---|---|---|---|"]

    def cell(run: Run | None, name: str) -> str:
        f = run.figures.get(name) if run else None
        if f is None:
            return "—"
        unit = TARGETS.get(name, (None, "s"))[1]
        cpu = f"cpu {f.cpu:,.1f} s, " if f.cpu is not None else ""
        return f"{f.value:,.2f} {unit} ({cpu}load {f.load:.1f})"

    for name, (target, unit) in TARGETS.items():
        a = small.figures.get(name) if small else None
        b = big.figures.get(name) if big else None
        if a is None and b is None:
            continue
        ratio = f"{b.value / a.value:.1f}×" if a and b and a.value else "—"
        if a and b and a.cpu and b.cpu:
            ratio += f" (cpu {b.cpu / a.cpu:.1f}×)"
        verdict = ""
        if target is not None and b is not None:
            verdict = f"≤ {target:g} {unit} {'✓' if b.value <= target else '✗ MISSED'}"
        lines.append(f"| {name} | {cell(small, name)} | {cell(big, name)} | {ratio} | {verdict} |")
    for name in TARGETS:
        a = small.figures.get(name) if small else None
        b = big.figures.get(name) if big else None
        if (a and a.memory_mb) or (b and b.memory_mb):
            ma = f"{a.memory_mb:,.0f} MB" if a and a.memory_mb else "—"
            mb = f"{b.memory_mb:,.0f} MB" if b and b.memory_mb else "—"
            ratio = f"{b.memory_mb / a.memory_mb:.1f}×" if a and b and a.memory_mb and \
                b.memory_mb else "—"
            ok = f"≤ {MEMORY_TARGET_MB:,} MB {'✓' if b.memory_mb <= MEMORY_TARGET_MB else '✗ MISSED'}" \
                if b and b.memory_mb else ""
            lines.append(f"| peak memory: {name} | {ma} | {mb} | {ratio} | {ok} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=f"{SMALL},{BIG}",
                    help="comma-separated: 4236 (this repository) and/or 40000")
    ap.add_argument("--big", type=Path, default=Path("/tmp/scale40k"),
                    help="the 40,000-record registry (generated there when missing)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-scale"),
                    help="scratch folder for the git copies")
    ap.add_argument("--skip", default="", help="steps to skip: " + ",".join(STEPS))
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    ap.add_argument("--reuse", action="store_true",
                    help="reuse the git copies of a previous run (reset to their first commit)")
    ap.add_argument("--table", type=Path, nargs="+", metavar="JSON",
                    help="only print the table of runs saved with --json")
    opts = ap.parse_args()
    if opts.table:
        saved = [Run(item["size"], Path("."), {k: Figure(**f) for k, f in item["figures"].items()})
                 for path in opts.table for item in json.loads(path.read_text())]
        print(table(saved))
        return
    skip = {s for s in opts.skip.split(",") if s}
    runs = []
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()}", flush=True)
    for size in (int(s) for s in opts.sizes.split(",")):
        source = REPO if size == SMALL else ensure_big(opts.big)
        t = time.perf_counter()
        root = prepare(source, opts.work / f"r{size}", opts.reuse)
        print(f"[{size:,}] prepared {root} (git repository) in {time.perf_counter() - t:.1f} s",
              flush=True)
        run = Run(size, root)
        for name, step in STEPS.items():
            if name not in skip:
                try:
                    step(run)
                except Exception as exc:  # report and go on with the next figure
                    print(f"  [{size:,}] {name} FAILED: {type(exc).__name__}: {exc}", flush=True)
        runs.append(run)
    print()
    print(table(runs))
    print(f"\nload average at the end: {os.getloadavg()}")
    if opts.json:
        opts.json.write_text(json.dumps(
            [{"size": r.size, "figures": {k: vars(f) for k, f in r.figures.items()}}
             for r in runs], ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    main()
