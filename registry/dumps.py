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
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from .cache import RECORD_SHARDS, RecordCache, code_fingerprint
from .cells import Codes, power_row
from .exporter import (
    RdfFile,
    csv_chunks,
    jsonld_join,
    jsonld_piece,
    ntriples_piece,
    record_paths,
    select_powers,
    turtle_join,
    turtle_piece,
    xlsx_bytes,
)
from .snapshot import Snapshot
from .turtle import parse

_MODULES = ("dumps", "exporter", "cells", "tables", "jsonld", "turtle", "namespaces",
            "present", "citations")


def fingerprint() -> str:
    """Content id of the code that decides the dumps' bytes (a change rewrites them)."""
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


@dataclass
class _Shares:
    """Every file's share of each dump, in file order, and one table row per power."""

    ttl: list[tuple[list[str], bytes]]
    nt: list[bytes]
    jsonld: list[list[bytes]]
    rows: list[dict]


def _shares(snap: Snapshot, root: Path | None) -> _Shares:
    cache = RecordCache(root, "dumps", fingerprint(), shards=RECORD_SHARDS) \
        if root is not None else None
    labels = snap.labels_key()
    shares = _Shares([], [], [], [])
    paths = record_paths(snap)
    for path in paths:
        src = snap.files[path]
        piece = cache.get(path, src.blob) if cache else None
        if piece is None:
            data = src.read()
            f = RdfFile(path, data.decode("utf-8"), parse(data))
            head, body = turtle_piece(f)
            # kept as UTF-8 bytes: half the memory of str for text mixing CJK and ASCII
            piece = ((head, body.encode()), ntriples_piece(f).encode(),
                     [line.encode() for line in jsonld_piece(f)])
            if cache:
                cache.put(path, src.blob, piece)
        shares.ttl.append(piece[0])
        shares.nt.append(piece[1])
        shares.jsonld.append(piece[2])
    codes = None
    for seq, p in enumerate(select_powers(snap), start=1):
        key = (p.path, f"{snap.files[p.path].blob}:{labels}")
        row = cache.get(*key) if cache else None
        if row is None:
            codes = codes or Codes.from_snapshot(snap)
            row = power_row(snap, snap.power_model(p.code), codes, 0)
            if cache:
                cache.put(*key, row)
        shares.rows.append({**row, "seq": seq})
    if cache:
        cache.retain({(p, snap.files[p].blob) for p in paths} |
                     {(p.path, f"{snap.files[p.path].blob}:{labels}") for p in snap.powers.values()})
        cache.save()
    return shares


def _chunks(fmt: str, shares: _Shares) -> Iterator[bytes]:
    """A dump's bytes in pieces (the same bytes as ``exporter.export_bytes``), so that a
    dump of 40,000 records is never held whole in memory."""
    if fmt == "ttl":
        head = turtle_join((h, "") for h, _ in shares.ttl).split("\n\n", 1)[0]
        yield (head + "\n\n").encode("utf-8")
        for i, (_, body) in enumerate(shares.ttl):
            if i:
                yield b"\n"
            yield body
    elif fmt == "nt":
        yield from shares.nt
    elif fmt == "jsonld":
        head, _, tail = jsonld_join([["\0"]]).partition("\0")
        yield head.encode("utf-8")
        first = True
        for piece in shares.jsonld:
            for line in piece:
                if not first:
                    yield b",\n"
                yield line
                first = False
        yield tail.encode("utf-8")
    elif fmt == "csv":
        yield from csv_chunks(shares.rows)
    else:
        yield xlsx_bytes(shares.rows)


def _write_stream(path: Path, chunks: Iterable[bytes]) -> tuple[int, str]:
    """Write the chunks to ``path`` through a temporary file; (size, sha256)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600: a web server must be able to read it
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return size, digest.hexdigest()


def write_dumps(snap: Snapshot, out_dir: Path, root: Path | None = None) -> list[Distribution]:
    """Write every dump into ``out_dir`` (each atomically, streamed) and describe them;
    ``root``: the registry whose cache folder keeps each file's share (see the module
    docstring)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    shares = _shares(snap, root)
    found = []
    for fmt, (filename, media_type, title) in DUMP_FORMATS.items():
        size, sha = _write_stream(out_dir / filename, _chunks(fmt, shares))
        found.append(Distribution(filename=filename, format=fmt, media_type=media_type,
                                  size=size, sha256=sha, title=title))
    return found
