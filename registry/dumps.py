"""The registry's bulk downloads (open data): one file per format, with size and checksum.

``write_dumps`` writes ``powers.ttl``, ``powers.nt``, ``powers.jsonld``, ``powers.csv`` and
``powers.xlsx`` into a folder and describes each as a ``Distribution``; ``registry.dcat``
turns those into the DCAT-AP description a data portal harvests. The site build puts them
in its ``data/`` folder and the API serves the same files. The RDF dumps hold every
record (powers, departments, laws, code lists, the vocabulary), so they stand alone; the
spreadsheets hold one row per power. The same registry always gives the same bytes.

Each file's share of every dump (its Turtle body, N-Triples, JSON-LD nodes and table row)
is cached by its git blob id (and, for the row, by the department, law and code-list
files whose labels it shows), so after one record changes only that record is read
again and the dumps are joined from the cache; only the XLSX is written whole.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

from .cache import RECORD_SHARDS, RecordCache, code_fingerprint
from .cells import Codes, power_row
from .exporter import (
    RdfFile,
    csv_bytes,
    jsonld_join,
    jsonld_piece,
    ntriples_piece,
    record_paths,
    select_powers,
    turtle_join,
    turtle_piece,
    write_atomic,
    xlsx_bytes,
)
from .snapshot import Snapshot
from .turtle import parse

_MODULES = ("dumps", "exporter", "cells", "tables", "jsonld", "turtle", "namespaces")


def _fingerprint() -> str:
    digest = hashlib.sha1(code_fingerprint().encode())
    here = Path(__file__).parent
    for name in _MODULES:
        digest.update((here / f"{name}.py").read_bytes())
    return digest.hexdigest()


@dataclass
class Distribution:
    """One downloadable file of the data set."""

    filename: str
    format: str  # ttl | nt | jsonld | csv | xlsx
    media_type: str
    size: int  # bytes
    sha256: str  # hex
    title: str  # "中文 / English"

    def to_dict(self) -> dict:
        return asdict(self)


#: format → (file name, media type, title)
DUMP_FORMATS: dict[str, tuple[str, str, str]] = {
    "ttl": ("powers.ttl", "text/turtle",
            "全部记录（Turtle） / All records (Turtle)"),
    "nt": ("powers.nt", "application/n-triples",
           "全部记录（N-Triples） / All records (N-Triples)"),
    "jsonld": ("powers.jsonld", "application/ld+json",
               "全部记录（JSON-LD） / All records (JSON-LD)"),
    "csv": ("powers.csv", "text/csv",
            "权力清单（CSV，每项权力一行） / Power list (CSV, one row per power)"),
    "xlsx": ("powers.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "权力清单（Excel，每项权力一行） / Power list (Excel, one row per power)"),
}


def _labels_key(snap: Snapshot) -> str:
    digest = hashlib.sha1()
    for path, f in sorted(snap.files.items()):
        if f.kind in ("department", "law", "vocabulary"):
            digest.update(f"{path}:{f.blob}\0".encode())
    return digest.hexdigest()


def dump_bytes(snap: Snapshot, root: Path | None = None) -> dict[str, bytes]:
    """Every dump's bytes, by format. With ``root``, each file's share is cached in the
    registry's cache folder (see the module docstring)."""
    cache = RecordCache(root, "dumps", _fingerprint(), shards=RECORD_SHARDS) \
        if root is not None else None
    labels = _labels_key(snap)
    ttl, nt, jsonld = [], [], []
    for path in record_paths(snap):
        src = snap.files[path]
        piece = cache.get(path, src.blob) if cache else None
        if piece is None:
            f = RdfFile(path, src.data.decode("utf-8"), parse(src.data))
            piece = (turtle_piece(f), ntriples_piece(f), jsonld_piece(f))
            if cache:
                cache.put(path, src.blob, piece)
        ttl.append(piece[0])
        nt.append(piece[1])
        jsonld.append(piece[2])
    codes = None
    rows = []
    for seq, p in enumerate(select_powers(snap), start=1):
        key = (p.path, f"{snap.files[p.path].blob}:{labels}")
        row = cache.get(*key) if cache else None
        if row is None:
            codes = codes or Codes.from_snapshot(snap)
            row = power_row(snap, p, codes, 0)
            if cache:
                cache.put(*key, row)
        rows.append({**row, "seq": seq})
    if cache:
        cache.retain({(p, snap.files[p].blob) for p in record_paths(snap)} |
                     {(p.path, f"{snap.files[p.path].blob}:{labels}") for p in snap.powers.values()})
        cache.save()
    return {
        "ttl": turtle_join(ttl).encode("utf-8"),
        "nt": "".join(nt).encode("utf-8"),
        "jsonld": jsonld_join(jsonld).encode("utf-8"),
        "csv": csv_bytes(rows),
        "xlsx": xlsx_bytes(rows),
    }


def write_dumps(snap: Snapshot, out_dir: Path, root: Path | None = None) -> list[Distribution]:
    """Write every dump into ``out_dir`` (each atomically) and describe them; ``root``:
    the registry whose cache folder keeps each file's share (see ``dump_bytes``)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    found = []
    for fmt, data in dump_bytes(snap, root).items():
        filename, media_type, title = DUMP_FORMATS[fmt]
        write_atomic(out_dir / filename, data)
        found.append(Distribution(filename=filename, format=fmt, media_type=media_type,
                                  size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                                  title=title))
    return found
