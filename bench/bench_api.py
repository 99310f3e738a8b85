"""Benchmark the running server: start-up, memory, and latency under 16 connections.

Starts `powers serve --no-site` on a free port against a registry (default: this repo),
waits for the API, SPARQL and search to be ready (timing each), then drives each
scenario for a fixed time with N concurrent connections and prints p50/p95/p99 latency,
throughput and errors, and the memory of the server, SPARQL zygote and workers (PSS, so
pages shared by the forked workers count once).

The load comes from `wrk` (C, HTTP/1.1 keep-alive; `apt-get install wrk`) when it is on
PATH, else from an httpx asyncio client (which takes a core of its own on a 2-core
machine, so its figures are pessimistic).

    python bench/bench_api.py                       # this repo's data, 16 connections, 10 s
    python bench/bench_api.py --root DIR --seconds 20 --connections 16 --cold
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx

REPO = Path(__file__).resolve().parents[1]
SEARCH_WORDS = ["驾驶培训", "道路运输", "许可", "行政处罚", "食品安全", "危险化学品", "建设工程",
                "药品", "特种设备", "环境", "档案", "税务登记", "宗教", "文物", "渔业", "安全生产",
                "土地", "广告", "计量", "测绘", "330218", "采矿许可", "医疗机构", "出版物"]
DEPT_QUERY = """PREFIX pw: <https://powers.example.org/def/>
PREFIX dept: <https://powers.example.org/id/department/>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?p ?code ?title WHERE {{ ?p pw:department dept:{slug} ; pw:code ?code ;
  dcterms:title ?title }} ORDER BY ?code"""

WRK_SCRIPT = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local accept = "%(accept)s"
math.randomseed(42)
request = function()
  local headers = {}
  if accept ~= "" then headers["Accept"] = accept end
  return wrk.format("GET", paths[math.random(#paths)], headers)
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT %%d %%d %%f %%f %%f %%f %%f\\n", summary.requests, errors,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pss_mb(pid: int) -> float:
    """Proportional set size of a process, MB (shared pages split among their sharers)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        p, pp = (int(x) for x in line.split())
        children.setdefault(pp, []).append(p)
    found, stack = [], [pid]
    while stack:
        for c in children.get(stack.pop(), []):
            found.append(c)
            stack.append(c)
    return found


def wait_for(base: str, what: str, started: float, timeout: float = 300) -> float:
    while time.perf_counter() - started < timeout:
        try:
            h = httpx.get(f"{base}/api/health", timeout=2).json()
            if what == "api" or h.get(what) == "ready":
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} not ready after {timeout} s")


def run_wrk(base: str, paths: list[str], accept: str, seconds: int, connections: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "paths.txt"
        listing.write_text("\n".join(paths) + "\n")
        script = Path(tmp) / "bench.lua"
        script.write_text(WRK_SCRIPT % {"paths": listing, "accept": accept})
        out = subprocess.run(["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s",
                              "--timeout", "30s", "-s", str(script), base],
                             capture_output=True, text=True, timeout=seconds + 60).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    n, errors, duration, p50, p95, p99, worst = line.split()[1:]
    return {"requests": int(n), "errors": int(errors), "rps": int(n) / float(duration),
            "p50": float(p50), "p95": float(p95), "p99": float(p99), "max": float(worst),
            "client": "wrk"}


async def _httpx_load(base: str, paths: list[str], accept: str, seconds: int,
                      connections: int) -> dict:
    latencies: list[float] = []
    errors = 0
    headers = {"Accept": accept} if accept else {}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    deadline = time.perf_counter() + seconds
    rng = random.Random(42)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        async def one() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                try:
                    r = await client.get(rng.choice(paths), headers=headers)
                    if r.status_code >= 400:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append((time.perf_counter() - t) * 1000)
        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(connections)))
        duration = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100)
    return {"requests": len(latencies), "errors": errors, "rps": len(latencies) / duration,
            "p50": q[49], "p95": q[94], "p99": q[98], "max": max(latencies), "client": "httpx"}


def load(base, paths, accept, seconds, connections, client) -> dict:
    if client == "wrk":
        return run_wrk(base, paths, accept, seconds, connections)
    return asyncio.run(_httpx_load(base, paths, accept, seconds, connections))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", type=Path, default=REPO)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--cold", action="store_true", help="delete .powers-cache first")
    ap.add_argument("--client", choices=["wrk", "httpx"],
                    default="wrk" if shutil.which("wrk") else "httpx")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    root = args.root.resolve()
    if args.cold:
        shutil.rmtree(root / ".powers-cache", ignore_errors=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--root", str(root),
                             "--port", str(port), "--no-site"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    figures: dict = {"records": None, "client": args.client, "connections": args.connections,
                     "seconds": args.seconds}
    try:
        figures["startup_api_s"] = wait_for(base, "api", started)
        figures["startup_sparql_s"] = wait_for(base, "sparql", started)
        figures["startup_search_s"] = wait_for(base, "search", started)
        page = httpx.get(f"{base}/api/powers?status=all&limit=1000", timeout=30).json()
        codes = [p["code"] for p in page["items"]]
        while page["next"]:
            page = httpx.get(base + page["next"], timeout=30).json()
            codes += [p["code"] for p in page["items"]]
        figures["records"] = len(codes)
        slugs = [d["slug"] for d in httpx.get(f"{base}/api/departments", timeout=30).json()]
        rng = random.Random(7)
        unique_search = list({f"/api/search?q={quote(' '.join(rng.sample(SEARCH_WORDS, 2)))}"
                              f"&offset={rng.randrange(0, 40)}" for _ in range(30_000)})
        unique_sparql = [f"/sparql?query={quote(DEPT_QUERY.format(slug=rng.choice(slugs)))}"
                         f"%20LIMIT%20{n}" for n in range(1, 30_001)]
        rng.shuffle(unique_sparql)
        scenarios = {
            "lookup": ([f"/api/powers/{c}" for c in codes], "", True),
            "lookup_turtle": ([f"/api/powers/{c}" for c in codes], "text/turtle", True),
            "search": ([f"/api/search?q={quote(w)}" for w in SEARCH_WORDS], "", True),
            "search_uncached": (unique_search, "", False),
            "sparql_department": ([f"/sparql?query={quote(DEPT_QUERY.format(slug=s))}"
                                   for s in slugs], "application/sparql-results+json", True),
            "sparql_uncached": (unique_sparql, "application/sparql-results+json", False),
            "list_page": ([f"/api/powers?department={s}&limit=100" for s in slugs], "", True),
        }
        for name, (paths, accept, warm) in scenarios.items():
            if warm:  # fill caches as a running server's would be
                load(base, paths, accept, 2, args.connections, args.client)
            figures[name] = load(base, paths, accept, args.seconds, args.connections,
                                 args.client)
        for name in ("search_uncached", "sparql_uncached"):  # latency without queueing
            paths, accept, _ = scenarios[name]
            rng.shuffle(paths)
            figures[name + "_1conn"] = load(base, paths, accept, max(3, args.seconds // 2), 1,
                                            args.client)
        server = [proc.pid, *descendants(proc.pid)]
        figures["memory"] = {"pss_total_mb": round(sum(pss_mb(p) for p in server), 1),
                             "rss_server_mb": round(rss_mb(proc.pid), 1),
                             "processes": len(server)}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{figures['records']:,} records · {args.connections} connections · {args.seconds} s "
          f"per scenario · client {args.client}")
    print(f"start-up: API {figures['startup_api_s']:.1f} s, SPARQL {figures['startup_sparql_s']:.1f}"
          f" s, search {figures['startup_search_s']:.1f} s")
    m = figures["memory"]
    print(f"memory: server RSS {m['rss_server_mb']:.0f} MB; all {m['processes']} processes PSS "
          f"{m['pss_total_mb']:.0f} MB")
    print(f"{'scenario':<24}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'errors':>8}")
    for name in ("lookup", "lookup_turtle", "search", "search_uncached", "search_uncached_1conn",
                 "sparql_department", "sparql_uncached", "sparql_uncached_1conn", "list_page"):
        f = figures[name]
        print(f"{name:<24}{f['rps']:>9.0f}{f['p50']:>9.1f}{f['p95']:>9.1f}{f['p99']:>9.1f}"
              f"{f['max']:>9.1f}{f['errors']:>8}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
