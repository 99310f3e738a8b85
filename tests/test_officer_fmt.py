"""`powers fmt`: canonical layout, never a changed graph, broken files left alone."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import pyoxigraph as ox
import pytest
from officer_util import REPO, graph_of, power_files, run, to_rdflib
from rdflib.compare import isomorphic

from registry import turtle
from registry.fmt import canonical, collect, format_files


def _scramble(text: str) -> str:
    """The same record written carelessly: prefixes reversed, body lines joined."""
    head, _, body = text.partition("\n\n")
    lines = head.splitlines()[::-1]
    return "\n".join(lines) + "\n\n\n" + body.replace(" ;\n    ", " ;  ")


def test_fmt_rewrites_a_careless_file_without_changing_its_graph(registry_copy, capsys):
    path = power_files(registry_copy)[0]
    original = path.read_text(encoding="utf-8")
    path.write_text(_scramble(original), encoding="utf-8")
    before = graph_of(path)

    code, out, _ = run(capsys, registry_copy, "fmt", "--check")
    assert code == 1
    assert path.relative_to(registry_copy).as_posix() in out

    code, out, _ = run(capsys, registry_copy, "fmt")
    assert code == 0
    assert path.read_text(encoding="utf-8") == original
    assert isomorphic(before, graph_of(path))

    code, out, _ = run(capsys, registry_copy, "fmt", "--check")
    assert code == 0, out


def test_fmt_check_changes_nothing(registry_copy, capsys):
    path = power_files(registry_copy)[0]
    messy = _scramble(path.read_text(encoding="utf-8"))
    path.write_text(messy, encoding="utf-8")
    run(capsys, registry_copy, "fmt", "--check")
    assert path.read_text(encoding="utf-8") == messy


def test_a_file_that_does_not_parse_is_reported_with_line_and_column_and_left_alone(
        registry_copy, capsys):
    path = power_files(registry_copy)[1]
    broken = path.read_text(encoding="utf-8").replace(" ;\n", " \n", 1)
    path.write_text(broken, encoding="utf-8")
    code, out, _ = run(capsys, registry_copy, "fmt")
    assert code == 1
    rel = path.relative_to(registry_copy).as_posix()
    line = next(ln for ln in out.splitlines() if rel in ln)
    assert line.split()[0].count(":") == 2, line  # path:line:col
    assert path.read_text(encoding="utf-8") == broken


def test_fmt_takes_files_and_folders_and_leaves_vocabularies_alone(registry_copy):
    dept_dir = power_files(registry_copy)[0].parent
    found = collect(registry_copy, [dept_dir])
    assert found and all(p.startswith("data/powers/") for p in found)
    everything = collect(registry_copy)
    assert not any(p.startswith(("data/vocabularies/", "data/ontology/")) for p in everything)


def test_canonical_writes_are_atomic_and_skip_canonical_files(registry_copy):
    path = power_files(registry_copy)[0]
    mtime = path.stat().st_mtime_ns
    result = format_files(registry_copy, [path.relative_to(registry_copy).as_posix()])
    assert result.ok and path.stat().st_mtime_ns == mtime
    assert not list(path.parent.glob(".*.tmp"))


@pytest.mark.corpus
def test_every_shipped_record_formats_to_the_same_graph_and_is_stable():
    """Parse, format, parse: isomorphic graphs; formatting twice gives the same bytes."""
    paths = collect(REPO)
    assert len(paths) > 4236
    chunks = [paths[i::4] for i in range(4)]
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("fork")) as pool:
        failures = [f for done in pool.map(_format_and_compare, chunks) for f in done]
    assert not failures, failures[:5]


def _format_and_compare(paths: list[str]) -> list[str]:
    failures = []
    for rel in paths:
        data = (REPO / rel).read_bytes()
        triples = turtle.parse(data)
        once = canonical(data)
        if canonical(once.encode("utf-8")) != once:
            failures.append(f"{rel}: formatting twice differs")
        elif not isomorphic(to_rdflib(triples), to_rdflib(turtle.parse(once))):
            failures.append(f"{rel}: the graph changed")
        # the same graph in another layout (labelled blank nodes, other order) formats
        # to the same text
        other = ox.serialize(triples[::-1], format=ox.RdfFormat.TURTLE)
        if canonical(other) != once:
            failures.append(f"{rel}: the layout of the input shows through")
    return failures
