"""Versions benchmark: check, history, diff and past snapshots on a realistic repository.

Builds a scratch git repository in a temporary folder with the shipped records (4,236
powers; a synthetic stand-in of the same shape when ``data/powers`` is empty) plus 500
further commits of scripted edits written through ``registry.turtle``, then measures:

- ``powers check --base HEAD`` for an uncommitted change touching 5 records (target ≤ 3 s),
  with a warm cache (an officer's machine) and with none (a CI runner without a cache);
- ``powers history CODE`` (≤ 1 s);
- ``powers diff HEAD~100 HEAD`` (≤ 5 s), plain and ``--markdown``;
- a past snapshot (``?at=`` / ``powers show --at``): first read ≤ 2 s, then fast;
- ``all_histories`` and ``recent_changes`` (what the site build and the API call).

Run: .venv/bin/python bench/bench_history.py [--commits 500] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from registry.namespaces import CODE, DEPT, LAW, POWER, PW, XSD  # noqa: E402
from registry.turtle import parse, serialize  # noqa: E402

POWERS = REPO / ".venv" / "bin" / "powers"
STATUS = CODE + "status/"


# --- the registry to start from ---------------------------------------------------------

def copy_shipped(dest: Path) -> int:
    """Copy the shipped registry; returns the number of power records."""
    shutil.copytree(REPO / "data", dest / "data")
    shutil.copytree(REPO / "shapes", dest / "shapes")
    return len(list((dest / "data" / "powers").glob("*/*.ttl")))


def synthesize(dest: Path, n: int = 4236, departments: int = 42, seed: int = 7) -> int:
    """A stand-in registry of the shipped shape (used only while data/powers is empty)."""
    rnd = random.Random(seed)
    for folder in ("ontology", "vocabularies"):
        shutil.copytree(REPO / "data" / folder, dest / "data" / folder)
    shutil.copytree(REPO / "shapes", dest / "shapes")
    lit = ox.Literal

    def write(path: Path, triples: list) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(serialize(triples), encoding="utf-8")

    def t(s, p, o):
        return ox.Triple(s, ox.NamedNode(p), o)

    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    skos = "http://www.w3.org/2004/02/skos/core#"
    eli = "http://data.europa.eu/eli/ontology#"
    laws = [f"A{i:03d}" for i in range(1, 121)] + [f"L{i:03d}" for i in range(1, 81)]
    for law in laws:
        s = ox.NamedNode(LAW + law)
        write(dest / "data" / "laws" / f"{law}.ttl", [
            t(s, rdf_type, ox.NamedNode(eli + "LegalResource")), t(s, rdf_type, ox.NamedNode(PW + "Law")),
            t(s, eli + "title", lit(f"中华人民共和国示例条例{law}", language="zh")),
            t(s, eli + "title_short", lit(f"示例条例{law}", language="zh")),
            t(s, PW + "lawLevel", ox.NamedNode(CODE + "law-level/" + (
                "law" if law.startswith("L") else "administrative-regulation"))),
            t(s, PW + "issuedBy", lit("国务院", language="zh")),
            t(s, eli + "date_document", lit("2004-04-30", datatype=ox.NamedNode(XSD + "date"))),
            t(s, PW + "lawStatus", ox.NamedNode(CODE + "law-status/in-force"))])
    slugs = [f"dept{i:02d}" for i in range(departments)]
    for i, slug in enumerate(slugs):
        s = ox.NamedNode(DEPT + slug)
        write(dest / "data" / "departments" / f"{slug}.ttl", [
            t(s, rdf_type, ox.NamedNode("http://www.w3.org/ns/org#Organization")),
            t(s, rdf_type, ox.NamedNode(PW + "Department")),
            t(s, skos + "prefLabel", lit(f"浙江省示例厅{i}", language="zh")),
            t(s, skos + "notation", lit(slug)), t(s, PW + "departmentCode", lit(f"{i + 10:02d}")),
            t(s, PW + "creditCode", lit("11330000002482188X")),
            t(s, PW + "category", lit("省政府组成部门", language="zh"))])
    def integer(v: int) -> ox.Literal:
        return lit(str(v), datatype=ox.NamedNode(XSD + "integer"))

    stages = ["filing", "investigation", "hearing", "notification", "decision", "delivery",
              "execution", "other"]
    tiers = ["lenient", "ordinary", "severe"]
    for k in range(n):
        d = k % departments
        code = f"3302{d + 10:02d}{k // departments + 1:03d}000"
        s = ox.NamedNode(POWER + code)
        triples = [
            t(s, rdf_type, ox.NamedNode(PW + "AdministrativePower")), t(s, PW + "code", lit(code)),
            t(s, "http://purl.org/dc/terms/title", lit(f"对违反示例规定第{k}项行为的处罚", language="zh")),
            t(s, PW + "powerType", ox.NamedNode(CODE + "power-type/02")),
            t(s, PW + "department", ox.NamedNode(DEPT + slugs[d])),
            t(s, PW + "handlingUnit", lit("执法处", language="zh")),
            t(s, PW + "status", ox.NamedNode(STATUS + "in-force")),
            t(s, PW + "starRating", lit("3", datatype=ox.NamedNode(XSD + "integer")))]
        for lv in (2, 3, 4):
            triples.append(t(s, PW + "exerciseLevel", ox.NamedNode(CODE + f"exercise-level/{lv}")))

        def node(pred: str, values: list, s=s, triples=triples) -> None:
            b = ox.BlankNode()
            triples.append(t(s, PW + pred, b))
            triples.extend(t(b, PW + p, o) for p, o in values)

        for o in range(1, 3):
            node("legalBasis", [("order", integer(o)), ("law", ox.NamedNode(LAW + rnd.choice(laws))),
                                ("article", integer(rnd.randint(1, 90))),
                                ("quote", lit("违反本条例的规定，情节严重的，处以罚款。" * 2, language="zh")),
                                ("rawText", lit("【行政法规】《示例条例》第十条：“……”", language="zh"))])
        for o, tier in enumerate(tiers, start=1):
            node("discretionTier", [("order", integer(o)), ("tier", ox.NamedNode(CODE + f"discretion-tier/{tier}")),
                                    ("condition", lit(f"情节{tier}的", language="zh")),
                                    ("fineMin", integer(o * 10000)), ("fineMax", integer(o * 20000))])
        for o, stage in enumerate(stages, start=1):
            node("responsibility", [("order", integer(o)), ("stage", ox.NamedNode(CODE + f"responsibility-stage/{stage}")),
                                    ("description", lit(f"{stage}责任：依法履行职责。", language="zh"))])
        for a in range(3):
            triples.append(t(s, PW + "accountability", lit(f"追责情形{a}：玩忽职守的", language="zh")))
        write(dest / "data" / "powers" / slugs[d] / f"{code}.ttl", triples)
    return n


# --- scripted edits ------------------------------------------------------------------------

def edit(path: Path, rnd: random.Random) -> str:
    """Change one field of a power through the canonical writer; returns what it did."""
    triples = parse(path.read_bytes())
    kind = rnd.choice(["article", "article", "unit", "star", "accountability", "abolish"])
    out = []
    done = False
    status_now = next((t.object.value for t in triples if t.predicate.value == PW + "status"), "")
    if kind == "abolish" and status_now != STATUS + "in-force":
        kind = "article"
    subject = next(t.subject for t in triples if isinstance(t.subject, ox.NamedNode))
    for t in triples:
        p = t.predicate.value
        if kind == "article" and not done and p == PW + "article":
            out.append(ox.Triple(t.subject, t.predicate,
                                 ox.Literal(str(int(t.object.value) + 1), datatype=ox.NamedNode(XSD + "integer"))))
            done = True
            continue
        if kind == "unit" and p == PW + "handlingUnit":
            out.append(ox.Triple(t.subject, t.predicate, ox.Literal(f"{t.object.value}（{rnd.randint(1, 10**6)}）", language="zh")))
            continue
        if kind == "star" and p == PW + "starRating":
            out.append(ox.Triple(t.subject, t.predicate,
                                 ox.Literal(str(int(t.object.value) % 5 + 1), datatype=ox.NamedNode(XSD + "integer"))))
            continue
        if kind == "abolish" and p == PW + "status":
            out.append(ox.Triple(t.subject, t.predicate, ox.NamedNode(STATUS + "abolished")))
            out.append(ox.Triple(subject, ox.NamedNode(PW + "statusDecision"),
                                 ox.Literal("浙政发〔2024〕12号", language="zh")))
            out.append(ox.Triple(subject, ox.NamedNode(PW + "statusDate"),
                                 ox.Literal("2024-03-01", datatype=ox.NamedNode(XSD + "date"))))
            continue
        out.append(t)
    before = path.read_text(encoding="utf-8")
    text = serialize(out)
    if kind == "accountability" or text == before:  # (a field the record does not have)
        kind = "accountability"
        out.append(ox.Triple(subject, ox.NamedNode(PW + "accountability"),
                             ox.Literal(f"新增追责情形{rnd.randint(1, 10**6)}", language="zh")))
        text = serialize(out)
    path.write_text(text, encoding="utf-8")
    return kind


def git(root: Path, *args: str, env: dict | None = None) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          text=True, env=env).stdout


def build_repo(root: Path, commits: int, seed: int = 11) -> list[Path]:
    """git init, one commit of everything, then ``commits`` commits of 1–5 record edits."""
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "法制处 Officer")
    git(root, "config", "user.email", "officer@example.org")
    (root / ".gitignore").write_text(".powers-cache/\n")
    git(root, "add", "-A")
    env = dict(os.environ)
    day = 1_700_000_000
    env.update(GIT_AUTHOR_DATE=f"{day} +0800", GIT_COMMITTER_DATE=f"{day} +0800")
    git(root, "commit", "-q", "-m", "初始清单 / initial list", env=env)
    files = sorted((root / "data" / "powers").glob("*/*.ttl"))
    rnd = random.Random(seed)
    hot = files[:20]  # a few records edited often, like a busy department's
    for i in range(commits):
        picked = rnd.sample(files, rnd.randint(1, 5)) + ([rnd.choice(hot)] if i % 3 == 0 else [])
        kinds = [edit(p, rnd) for p in picked]
        git(root, "add", "-A")
        when = day + (i + 1) * 86400 // 4
        env.update(GIT_AUTHOR_DATE=f"{when} +0800", GIT_COMMITTER_DATE=f"{when} +0800")
        git(root, "commit", "-q", "-m", f"编辑 {i + 1}: {', '.join(kinds)}", env=env)
    return files


# --- measuring -------------------------------------------------------------------------------

def _cpu() -> float:
    """CPU seconds of this process and of its finished children (user + system)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class Clock:
    """Wall and CPU time of a block: CPU time shows the work when other jobs share the
    machine (wall time then grows with the load average, CPU time hardly does)."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = _cpu() - self.cpu


def timed(cmd: list[str], cwd: Path, runs: int = 3, expect: tuple[int, ...] = (0, 1)) -> Clock:
    """Median wall (and CPU) time of a CLI command (a fresh process, imports included)."""
    clocks = []
    for _ in range(runs):
        with Clock() as c:
            done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        clocks.append(c)
        if done.returncode not in expect:
            raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return sorted(clocks, key=lambda c: c.wall)[len(clocks) // 2]


def report(name: str, clock: Clock, target: float | None = None) -> None:
    s = clock.wall
    mark = "" if target is None else ("  ✓" if s <= target else f"  ✗ (target ≤ {target:g} s)")
    print(f"{name:<60} {s:6.2f} s wall {clock.cpu:6.2f} s cpu{mark}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--commits", type=int, default=500)
    ap.add_argument("--keep", type=Path, help="build the repository here and keep it")
    ap.add_argument("--reuse", action="store_true",
                    help="with --keep: measure the repository built there before")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="powers-bench-history-")) if not args.keep else args.keep
    root = tmp / "registry" if not args.keep else args.keep
    try:
        shipped = (REPO / "data" / "powers").is_dir() and any((REPO / "data" / "powers").glob("*/*.ttl"))
        if args.reuse and (root / ".git").is_dir():
            git(root, "checkout", "-q", "--", "data")
            files = sorted((root / "data" / "powers").glob("*/*.ttl"))
            n = len(files)
            print(f"# {n:,} power files, reusing the repository in {root}")
        else:
            if root.exists():
                shutil.rmtree(root)
            root.mkdir(parents=True)
            t0 = time.perf_counter()
            n = copy_shipped(root) if shipped else synthesize(root)
            files = build_repo(root, args.commits)
            print(f"# {n:,} powers ({'shipped' if shipped else 'synthetic stand-in'}), "
                  f"{args.commits} edit commits; repository built in {time.perf_counter() - t0:.0f} s")
        print(f"# {os.cpu_count()} CPUs, git {git(root, 'version').split()[-1]}, load average "
              f"{os.getloadavg()[0]:.1f} (wall times grow with it; CPU times hardly do)")
        P = str(POWERS)

        # powers check: 5 records changed in the working tree, not committed
        subprocess.run([P, "validate"], cwd=root, capture_output=True)  # warm the cache
        rnd = random.Random(3)
        for f in rnd.sample(files, 5):
            edit(f, rnd)
        report("powers check --base HEAD (5 records, warm cache)",
               timed([P, "check", "--base", "HEAD"], root), 3)
        report("powers check --base HEAD --format github (warm)",
               timed([P, "check", "--base", "HEAD", "--format", "github"], root), 3)
        report("powers check --base HEAD (no cache: a CI runner without one)",
               timed([P, "check", "--base", "HEAD", "--no-cache"], root, runs=1))
        git(root, "checkout", "-q", "--", "data")

        # powers history: the most edited record
        counts: dict[str, int] = {}
        for line in git(root, "log", "--format=", "--name-only", "--", "data/powers").splitlines():
            if line:
                counts[line] = counts.get(line, 0) + 1
        busiest = max(counts, key=counts.get)
        code = Path(busiest).stem
        report(f"powers history {code} ({counts[busiest]} versions)",
               timed([P, "history", code], root), 1)
        report("powers history <a record with one version>",
               timed([P, "history", Path(files[-1]).stem], root), 1)

        # powers diff across 100 commits
        report("powers diff HEAD~100 HEAD", timed([P, "diff", "HEAD~100", "HEAD"], root), 5)
        report("powers diff HEAD~100 HEAD --markdown",
               timed([P, "diff", "HEAD~100", "HEAD", "--markdown"], root), 5)
        report(f"powers diff HEAD~{args.commits} HEAD --json (every edit)",
               timed([P, "diff", f"HEAD~{args.commits}", "HEAD", "--json"], root, runs=1))

        # past snapshots (?at=): first read, then cached
        old = f"HEAD~{args.commits // 2}"
        shutil.rmtree(root / ".powers-cache", ignore_errors=True)
        subprocess.run([P, "validate"], cwd=root, capture_output=True)
        sys.path.insert(0, str(REPO))
        from registry import history

        for f in (root / ".powers-cache").glob("snapshot-*"):
            f.unlink()
        with Clock() as c:
            history.snapshot_at(root, old)
        report(f"snapshot_at({old}) first read (in process)", c, 2)
        history._memory.clear()
        with Clock() as c:
            history.snapshot_at(root, old)
        report(f"snapshot_at({old}) second read (disk cache, in process)", c)
        with Clock() as c:
            history.snapshot_at(root, old)
        report(f"snapshot_at({old}) third read (memory, in process)", c)
        for f in (root / ".powers-cache").glob("snapshot-*"):
            f.unlink()
        report(f"powers show CODE --at {old} (first, new process)",
               timed([P, "show", code, "--at", old], root, runs=1))
        report(f"powers show CODE --at {old} (second, new process)",
               timed([P, "show", code, "--at", old], root))

        # what the site build and the API call
        with Clock() as c:
            hist = history.all_histories(root)
        report(f"all_histories ({len(hist):,} files, first)", c)
        with Clock() as c:
            history.all_histories(root)
        report("all_histories (second, models cached)", c)
        with Clock() as c:
            history.recent_changes(root, 50)
        report("recent_changes(50)", c)
        with Clock() as c:
            history.record_history(root, code)
        report(f"record_history({code}) in process", c)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
