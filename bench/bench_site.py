"""Static site: full build, rebuilds, and what a search costs a browser.

Copies the registry (data/ and shapes/) into a temporary git repository (one commit, as a
fresh clone of a one-commit history), then measures:

* a full build with no caches (pages/s, files, size, each phase, CPU of this process and
  its children: the forked history and dumps workers);
* a rebuild with nothing changed, and after one record changes (three times: the median
  is the figure), without the dumps, after committing the change, and last without dumps
  and search (to attribute the time; a build without search drops the index, so it comes
  last);
* the search index, and for a few queries in headless Chromium the bytes fetched when the
  search page opens and after the query (raw as served by a plain static server, and
  with gzip for the text files a CDN would compress), and the time to results.

Run: .venv/bin/python bench/bench_site.py [--root .] [--no-browser]
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from site_builder.build import build  # noqa: E402

QUERIES = ["道路运输", "许可", "道路运输经营", "驾驶培训", "危险化学品", "交通运输厅"]


def cpu() -> float:
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def timed(label: str, root: Path, out: Path, **kw) -> dict:
    c0, t0 = cpu(), time.perf_counter()
    report = build(root, out, **kw)
    wall, used = time.perf_counter() - t0, cpu() - c0
    r = report.to_dict()
    print(f"{label:<44} {wall:6.2f} s wall {used:6.2f} s CPU  rendered {report.rendered:>5,}  "
          f"written {report.written:>5,}")
    print(f"{'':<44} phases: " + "  ".join(f"{k} {v:.2f}" for k, v in r["timings"].items()))
    return {"wall": wall, "cpu": used, "report": report}


def edit_one_record(root: Path, n: int) -> Path:
    path = sorted((root / "data" / "powers" / "jiaotong").glob("*.ttl"))[n]
    text = path.read_text(encoding="utf-8")
    new = re.sub(r'pw:handlingUnit "([^"]*)"@zh', lambda m: f'pw:handlingUnit "{m.group(1)}{n}"@zh',
                 text, count=1)
    path.write_text(new, encoding="utf-8")
    return path


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def payload(site: Path, code: str) -> None:
    from playwright.sync_api import sync_playwright

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"\n{'query':<14} {'results':>8} {'ms':>6} {'reqs':>5} {'open KB':>8} {'query KB':>9} "
          f"{'total KB':>9} {'total gz KB':>12}")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-gpu"])
            for q in [*QUERIES, code]:
                ctx = browser.new_context()
                page = ctx.new_page()
                got: dict[str, tuple[int, int]] = {}

                def on_response(r, got=got):
                    if "/search-index/" in r.url or "/static/search" in r.url:
                        try:
                            body = r.body()
                        except Exception:
                            return
                        text_like = r.url.split("?")[0].endswith((".js", ".json", ".css"))
                        got[r.url] = (len(body), len(gzip.compress(body)) if text_like else len(body))

                page.on("response", on_response)
                page.goto(f"{base}/search/")
                page.wait_for_load_state("networkidle")
                at_open = sum(v[0] for v in got.values())
                t = time.perf_counter()
                page.fill("#q", q)
                page.wait_for_function(
                    "/项结果|没有找到/.test(document.querySelector('#status').textContent)",
                    timeout=30000)
                ms = (time.perf_counter() - t) * 1000
                page.wait_for_load_state("networkidle")
                total = sum(v[0] for v in got.values())
                total_gz = sum(v[1] for v in got.values())
                status = page.inner_text("#status").split("。")[0].replace("找到 ", "")
                print(f"{q:<14} {status:>8} {ms:6.0f} {len(got):5} {at_open / 1024:8.0f} "
                      f"{(total - at_open) / 1024:9.0f} {total / 1024:9.0f} {total_gz / 1024:12.0f}")
                ctx.close()
            browser.close()
    finally:
        server.shutdown()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=".")
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    src = Path(args.root).resolve()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at start")
    with tempfile.TemporaryDirectory(prefix="bench-site-") as tmp:
        root, out = Path(tmp) / "registry", Path(tmp) / "_site"
        shutil.copytree(src / "data", root / "data")
        shutil.copytree(src / "shapes", root / "shapes")
        git(root, "init", "-q")
        git(root, "add", "-A")
        git(root, "-c", "user.name=bench", "-c", "user.email=b@example.org", "commit", "-qm", "data")
        print(f"{len(list((root / 'data' / 'powers').rglob('*.ttl'))):,} power records\n")

        full = timed("full build, no caches", root, out)
        rep = full["report"]
        print(f"{'':<44} {rep.pages:,} pages, {rep.pages / full['wall']:.0f} pages/s; "
              f"{rep.files:,} files, {rep.size / 1e6:.1f} MB; search index "
              f"{rep.search.size / 1e6:.1f} MB in {rep.search.files:,} files "
              f"({rep.search.pages:,} pages)")
        timed("rebuild, nothing changed", root, out)
        runs = []
        for n in (1, 2, 3):
            edit_one_record(root, n)
            runs.append(timed(f"rebuild after one record changed ({n})", root, out))
        mid = sorted(runs, key=lambda r: r["wall"])[1]
        print(f"{'  median of the three':<44} {mid['wall']:6.2f} s wall {mid['cpu']:6.2f} s CPU")
        edit_one_record(root, 4)
        timed("  … without dumps", root, out, dumps=False)
        git(root, "-c", "user.name=bench", "-c", "user.email=b@example.org", "commit", "-qam", "edit")
        timed("rebuild after committing (history changes)", root, out)
        edit_one_record(root, 5)
        timed("  … without dumps and search", root, out, dumps=False, search=False)
        shutil.rmtree(out)
        timed("full build, warm caches, fresh output", root, out)
        if not args.no_browser and Path("/usr/bin/chromium").exists():
            code = sorted(p.stem for p in (root / "data" / "powers" / "jiaotong").glob("*.ttl"))[0]
            payload(out, code)
    print(f"\nload average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()
