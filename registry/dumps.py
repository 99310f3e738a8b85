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
again. Each dump is spliced (``registry.splice``): the pieces the previous file holds
unchanged are copied from it by byte range; the XLSX list's rows are deflated in blocks,
and an unchanged block is copied still deflated (``registry.zipsplice``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from .cache import RECORD_SHARDS, RecordCache, code_fingerprint
from .cells import Codes, power_row
from .exporter import (
    XLSX_SHEET,
    RdfFile,
    csv_head,
    csv_row,
    jsonld_join,
    jsonld_piece,
    ntriples_piece,
    record_paths,
    select_powers,
    turtle_piece,
    xlsx_parts,
    xlsx_sheet_head,
)
from .snapshot import Snapshot
from .splice import Splicer, piece_key
from .turtle import parse
from .zipsplice import Deflated, deflate, zip_archive

_MODULES = ("dumps", "splice", "zipsplice", "exporter", "cells", "tables", "jsonld", "turtle",
            "namespaces", "present", "citations")


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


class _Shares:
    """Each file's share of the dumps: its Turtle prefixes and body, N-Triples and JSON-LD
    nodes (by blob id), and each power's table row (by blob id and the labels' key), from
    the cache (a shard is read only when one of its files is asked for) or made."""

    def __init__(self, snap: Snapshot, root: Path | None):
        self.snap = snap
        self.cache = RecordCache(root, "dumps", fingerprint(), shards=RECORD_SHARDS) \
            if root is not None else None
        self.labels = snap.labels_key()
        self.codes: Codes | None = None
        self.made: set[str] = set()  # paths whose share was not in the cache
        self._ids: dict[str, bytes] = {}
        self._row_ids: dict[str, bytes] = {}
        self._last: tuple[str, tuple] | None = None

    def rdf(self, path: str) -> tuple:
        """((prefix lines, Turtle body), N-Triples, [JSON-LD node]) as UTF-8 bytes."""
        if self._last is not None and self._last[0] == path:
            return self._last[1]
        src = self.snap.files[path]
        piece = self.cache.get(path, src.blob) if self.cache else None
        if piece is None:
            data = src.read()
            f = RdfFile(path, data.decode("utf-8"), parse(data))
            head, body = turtle_piece(f)
            # kept as UTF-8 bytes: half the memory of str for text mixing CJK and ASCII
            piece = ((tuple(head), body.encode()), ntriples_piece(f).encode(),
                     [line.encode() for line in jsonld_piece(f)])
            self.made.add(path)
            if self.cache:
                self.cache.put(path, src.blob, piece)
        self._last = (path, piece)
        return piece

    def row_key(self, p) -> str:
        return f"{self.snap.files[p.path].blob}:{self.labels}"

    def file_id(self, path: str) -> bytes:
        """A compact id of the file's path and content (each piece key starts from it:
        hashing once per file, not once per piece and format)."""
        found = self._ids.get(path)
        if found is None:
            found = self._ids[path] = piece_key(path, self.snap.files[path].blob)
        return found

    def row_id(self, p) -> bytes:
        """A compact id of a power's table row (its file and the labels it shows)."""
        found = self._row_ids.get(p.path)
        if found is None:
            found = self._row_ids[p.path] = piece_key(p.path, self.row_key(p))
        return found

    def row(self, p) -> dict:
        """The power's table row (its ``seq`` left to the caller)."""
        key = self.row_key(p)
        row = self.cache.get(p.path, key) if self.cache else None
        if row is None:
            self.codes = self.codes or Codes.from_snapshot(self.snap)
            row = power_row(self.snap, self.snap.power_model(p.code), self.codes, 0)
            self.made.add(p.path)
            if self.cache:
                self.cache.put(p.path, key, row)
        return row

    def save(self, paths: list[str], powers: list, complete: bool) -> None:
        """Write back what was made; forget entries of other versions (of every file when
        ``complete``, else only of the files made, so no other shard is read)."""
        if not self.cache:
            return
        keys = {(p, self.snap.files[p].blob) for p in paths} | \
            {(p.path, self.row_key(p)) for p in powers}
        self.cache.retain(keys, paths=None if complete else self.made)
        self.cache.save()


def _index_cache(root: Path) -> RecordCache:
    """Where each dump's pieces lie in the files of the last build (see ``registry.splice``)."""
    return RecordCache(root, "dumps-index", fingerprint())


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino


def _write_format(fmt: str, splicer: Splicer, shares: _Shares, paths: list[str],
                  powers: list, old: dict) -> dict:
    """Add every piece of one dump to ``splicer``; returns what the next build must know
    of the pieces beyond their places (Turtle prefixes, empty JSON-LD shares)."""
    extra: dict = {}
    if fmt == "ttl":
        old_heads = old.get("heads", {})
        heads = {}
        same: dict[tuple, tuple] = {}  # one object per distinct head: the index stays small
        for path in paths:
            k = b"head" + shares.file_id(path)
            head = old_heads[k] if k in old_heads else shares.rdf(path)[0][0]
            heads[k] = same.setdefault(head, head)
        extra["heads"] = heads
        prefixes = sorted({line for head in same for line in head})  # each distinct head once
        text = ("\n".join(prefixes) + "\n\n").encode("utf-8")
        splicer.add(piece_key("ttl-head", text), lambda: text)
        for i, path in enumerate(paths):
            splicer.add(b"ttl" + shares.file_id(path) + (b"+" if i else b"."),
                        lambda p=path, i=i: (b"\n" if i else b"") + shares.rdf(p)[0][1])
    elif fmt == "nt":
        for path in paths:
            splicer.add(b"nt" + shares.file_id(path), lambda p=path: shares.rdf(p)[1])
    elif fmt == "jsonld":
        head, _, tail = jsonld_join([["\0"]]).partition("\0")
        splicer.add(piece_key("jsonld-head", head), lambda: head.encode("utf-8"))
        old_empty, empty = old.get("empty", set()), set()
        seen = False  # a node was written: the next one follows a comma
        for path in paths:
            k = b"empty" + shares.file_id(path)
            if k in old_empty or (k not in old.get("known", set()) and not shares.rdf(path)[2]):
                empty.add(k)
                continue

            def nodes(p=path, after=seen) -> bytes:
                lines = shares.rdf(p)[2]
                return (b",\n" if after else b"") + b",\n".join(lines)
            splicer.add(b"jsonld" + shares.file_id(path) + (b"+" if seen else b"."), nodes)
            seen = True
        extra["empty"] = empty
        extra["known"] = {b"empty" + shares.file_id(p) for p in paths}
        splicer.add(piece_key("jsonld-tail", tail), lambda: tail.encode("utf-8"))
    elif fmt == "csv":
        head = csv_head()
        splicer.add(piece_key("csv-head", head), lambda: head)
        for seq, p in enumerate(powers, start=1):
            splicer.add(b"csv" + shares.row_id(p) + seq.to_bytes(4, "little"),
                        lambda p=p, seq=seq: csv_row({**shares.row(p), "seq": seq}))
    return extra


#: Rows of the XLSX list deflated together (see ``registry.zipsplice``).
XLSX_BLOCK = 500


def _write_xlsx(path: Path, shares: _Shares, powers: list, old: dict, old_file: Path | None
                ) -> tuple[int, str, dict]:
    """The XLSX: the list sheet's rows deflated in blocks; a block whose rows are the
    previous workbook's is copied from it, deflated, and XlsxWriter writes only the rows of
    the other blocks (all of them the first time)."""
    old_blocks: dict[bytes, tuple[int, int, int, int]] = old.get("blocks") or {}
    old_data = b""
    if old_blocks and old_file is not None:
        try:
            old_data = old_file.read_bytes()
        except OSError:
            old_blocks = {}
    keys = [b"xlsx" + shares.row_id(p) + seq.to_bytes(4, "little") for seq, p in
            enumerate(powers, start=1)]
    spans = [(start, min(start + XLSX_BLOCK, len(powers)))
             for start in range(0, len(powers), XLSX_BLOCK)]
    block_keys = [piece_key(*keys[a:b]) for a, b in spans]
    todo = [(seq, {**shares.row(powers[seq - 1]), "seq": seq})
            for (a, b), k in zip(spans, block_keys, strict=True) if k not in old_blocks
            for seq in range(a + 1, b + 1)]
    parts = xlsx_parts(todo)
    blocks = []
    for (a, b), k in zip(spans, block_keys, strict=True):
        hit = old_blocks.get(k)
        if hit is not None:
            offset, length, crc, size = hit
            blocks.append(Deflated(old_data[offset:offset + length], crc, size))
        else:
            blocks.append(deflate(b"".join(parts.rows[n] for n in range(a + 1, b + 1))))
    sheet = [deflate(xlsx_sheet_head(parts, len(powers))), *blocks, deflate(parts.tail)]
    members = [(name, [deflate(data)]) for name, data in parts.members]
    members.insert(parts.position, (XLSX_SHEET, sheet))
    data, starts = zip_archive(members)
    size, sha = _write_stream(path, [data])
    where, index = starts[parts.position] + len(sheet[0].data), {}
    for k, block in zip(block_keys, blocks, strict=True):
        index[k] = (where, len(block.data), block.crc, block.size)
        where += len(block.data)
    return size, sha, {"blocks": index}


def _write_stream(path: Path, chunks: Iterable[bytes]) -> tuple[int, str]:
    """Write the chunks to ``path`` through a temporary file; (size, sha256)."""
    splicer = Splicer(path)
    for chunk in chunks:
        splicer.add(b"", lambda c=chunk: c)
    size, sha, _ = splicer.finish()
    return size, sha


def write_dumps(snap: Snapshot, out_dir: Path, root: Path | None = None,
                previous: Path | None = None) -> list[Distribution]:
    """Write every dump into ``out_dir`` (each atomically, streamed) and describe them.

    ``root``: the registry whose cache folder keeps each file's share (see the module
    docstring). ``previous``: the folder of the dumps this build replaces (a site's
    ``data/``, where these will be moved): what is unchanged is copied from them, and
    where each piece lies is kept for the next build.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    shares = _Shares(snap, root)
    paths = record_paths(snap)
    powers = select_powers(snap)
    index_cache = _index_cache(root) if root is not None and previous is not None else None
    where = str(Path(previous).resolve()) if previous is not None else ""
    old_all = (index_cache.get("index", where) if index_cache else None) or {}
    new_all: dict[str, dict] = {}
    found = []
    for fmt, (filename, media_type, title) in DUMP_FORMATS.items():
        old = old_all.get(fmt) or {}
        old_file = Path(previous) / filename if previous is not None else None
        if not old or old_file is None or _stat(old_file) != old.get("stat"):
            old, old_file = {}, None
        if fmt == "xlsx":
            size, sha, extra = _write_xlsx(out_dir / filename, shares, powers, old, old_file)
        else:
            fd = os.open(old_file, os.O_RDONLY) if old_file is not None else None
            try:
                splicer = Splicer(out_dir / filename, fd, old.get("pieces"))
                try:
                    extra = _write_format(fmt, splicer, shares, paths, powers, old)
                except BaseException:
                    splicer.abort()
                    raise
                size, sha, extra["pieces"] = splicer.finish()
            finally:
                if fd is not None:
                    os.close(fd)
        extra["stat"] = _stat(out_dir / filename)
        new_all[fmt] = extra
        found.append(Distribution(filename=filename, format=fmt, media_type=media_type,
                                  size=size, sha256=sha, title=title))
    shares.save(paths, powers, complete=not old_all)
    if index_cache is not None:
        index_cache.clear()
        index_cache.put("index", where, new_all)
        index_cache.save()
    return found
