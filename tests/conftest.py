"""Shared fixtures: small registries copied from the shipped data.

``small_registry`` is read-only and shared by the session; ``registry_copy`` is a fresh
writable copy for tests that change files. Both hold the real shapes, ontology and
vocabularies, every law, three departments and a few dozen of their powers (with the
main items and successors those powers point at, so the copy validates).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from registry.model import Power
from registry.records import read_record
from registry.source import SourceFile
from registry.validate import validate

REPO = Path(__file__).resolve().parents[1]
DEPARTMENTS = ("jiaotong",)
EXTRA_DEPARTMENTS = 2
PER_DEPARTMENT = 30


def _power_files(dept_dir: Path) -> list[Path]:
    return sorted(dept_dir.glob("*.ttl"))


def _read_power(repo: Path, path: Path) -> Power | None:
    rel = path.relative_to(repo).as_posix()
    return read_record(SourceFile.from_bytes(rel, path.read_bytes())).model


def make_registry(dest: Path, repo: Path = REPO, per_department: int = PER_DEPARTMENT) -> Path:
    """Copy a small, valid registry from ``repo`` into ``dest`` and return ``dest``."""
    powers_dir = repo / "data" / "powers"
    folders = sorted(p.name for p in powers_dir.iterdir() if p.is_dir())
    chosen = [d for d in DEPARTMENTS if d in folders]
    chosen += [d for d in folders if d not in chosen][:EXTRA_DEPARTMENTS]
    wanted: dict[str, Path] = {}
    for slug in chosen:
        files = _power_files(powers_dir / slug)
        # the first main items, and a few non-in-force records for tombstones
        picked = files[:per_department] + [f for f in files[per_department:]
                                           if b"status:in-force" not in f.read_bytes()][:3]
        for f in picked:
            wanted[f.stem] = f
    # close over references: main items and successors must resolve
    queue = list(wanted.values())
    while queue:
        power = _read_power(repo, queue.pop())
        if power is None:
            continue
        for code in [power.main_item, *power.successors]:
            if code and code not in wanted:
                hits = list(powers_dir.glob(f"*/{code}.ttl"))
                if hits:
                    wanted[code] = hits[0]
                    queue.append(hits[0])
    for folder in ("ontology", "vocabularies"):
        shutil.copytree(repo / "data" / folder, dest / "data" / folder)
    # only the laws the chosen powers cite (every reference still resolves)
    cited = {c.law for f in wanted.values() if (p := _read_power(repo, f)) for c in p.citations}
    (dest / "data" / "laws").mkdir(parents=True)
    for law in sorted(cited):
        shutil.copy2(repo / "data" / "laws" / f"{law}.ttl", dest / "data" / "laws")
    shutil.copytree(repo / "shapes", dest / "shapes")
    depts = {f.parent.name for f in wanted.values()}
    (dest / "data" / "departments").mkdir(parents=True)
    for slug in depts:
        shutil.copy2(repo / "data" / "departments" / f"{slug}.ttl", dest / "data" / "departments")
    for f in wanted.values():
        target = dest / "data" / "powers" / f.parent.name
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, target)
    return dest


@pytest.fixture(scope="session")
def small_registry(tmp_path_factory) -> Path:
    """A small valid registry (read-only: do not change its files), its cache warmed."""
    root = make_registry(tmp_path_factory.mktemp("registry") / "small")
    validate(root)
    return root


@pytest.fixture
def registry_copy(small_registry: Path, tmp_path: Path) -> Path:
    """A fresh writable copy of ``small_registry`` (with its warm, content-keyed cache)."""
    dest = tmp_path / "registry"
    shutil.copytree(small_registry, dest)
    return dest
