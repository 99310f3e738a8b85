"""The registry's bulk downloads (open data): one file per format, with size and checksum.

``write_dumps`` writes ``powers.ttl.gz``, ``powers.nt.gz``, ``powers.jsonld.gz``,
``powers.csv.gz`` and ``powers.xlsx`` into a folder and describes each as a
``Distribution``; ``registry.dcat`` turns those into the DCAT-AP description a data portal
harvests (the text dumps with ``dcat:compressFormat`` gzip). The site build puts them in
its ``data/`` folder; ``powers serve`` also answers the plain names (``/data/powers.nt``),
decompressed as it sends them. The RDF dumps hold every record (powers, departments,
laws, code lists, the vocabulary), so they stand alone; the spreadsheets hold one row per
power. The same registry always gives the same bytes.

Why gzip: at 40,000 records the text dumps hold a gigabyte, and writing and hashing it
anew after every edit took longer than the rest of a rebuild; compressed they are 60 MB.

Each text dump is written as gzip members of blocks of pieces (a file's Turtle body,
N-Triples or JSON-LD nodes, a power's CSV row; ``registry.gzsplice``): a block the
previous file holds unchanged is copied from it still compressed, and a changed block
takes its unchanged pieces from the old block, so after one record changes only that
record is read. The XLSX list's rows are deflated in blocks the same way
(``registry.zipsplice``). The previous files are the last dumps written for the
registry, kept in its cache folder (hard links to the site's copies), so a site deleted
or built once with ``--no-dumps`` costs nothing more.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import zlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from .cache import CACHE_DIR, RecordCache, code_fingerprint
from .cells import Codes, power_row
from .exporter import (
    ROW_XML,
    XLSX_SHEET,
    RdfFile,
    csv_head,
    csv_row,
    jsonld_join,
    jsonld_piece,
    ntriples_piece,
    record_paths,
    select_powers,
    turtle_piece_of,
    xlsx_parts,
    xlsx_sheet_head,
)
from .gzsplice import GZIP, GzipSplicer, anchor_cuts
from .snapshot import Snapshot
from .splice import Splicer, piece_key
from .turtle import parse
from .zipsplice import Deflated, deflate, zip_archive

_MODULES = ("dumps", "splice", "gzsplice", "zipsplice", "exporter", "cells", "tables", "jsonld",
            "turtle", "namespaces", "present", "citations")


def fingerprint() -> str:
    """Content id of the code that decides the dumps' bytes (a change rewrites them): ours,
    and the versions of the libraries that serialize and compress (a block copied from a
    dump written with another zlib would not be the block this one writes)."""
    import pyoxigraph
    import xlsxwriter

    digest = hashlib.sha1(code_fingerprint().encode())
    digest.update(f"{zlib.ZLIB_RUNTIME_VERSION}\0{pyoxigraph.__version__}\0"
                  f"{xlsxwriter.__version__}".encode())
    here = Path(__file__).parent
    for name in _MODULES:
        digest.update((here / f"{name}.py").read_bytes())
    return digest.hexdigest()


@dataclass
class Distribution:
    """One downloadable file of the data set."""

    filename: str
    format: str  # ttl | nt | jsonld | csv | xlsx
    media_type: str  # of the content (a gzip file's once decompressed)
    size: int  # bytes of the file
    sha256: str  # hex, of the file
    title: str  # "中文 / English"
    compression: str | None = None  # the file's media type when it is compressed (gzip)
    content_size: int | None = None  # bytes once decompressed

    def to_dict(self) -> dict:
        return asdict(self)


#: format → (file name, media type of the content, title); a name ending in ``.gz`` is
#: gzip-compressed.
DUMP_FORMATS: dict[str, tuple[str, str, str]] = {
    "ttl": ("powers.ttl.gz", "text/turtle",
            "全部记录（Turtle） / All records (Turtle)"),
    "nt": ("powers.nt.gz", "application/n-triples",
           "全部记录（N-Triples） / All records (N-Triples)"),
    "jsonld": ("powers.jsonld.gz", "application/ld+json",
               "全部记录（JSON-LD） / All records (JSON-LD)"),
    "csv": ("powers.csv.gz", "text/csv",
            "权力清单（CSV，每项权力一行） / Power list (CSV, one row per power)"),
    "xlsx": ("powers.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "权力清单（Excel，每项权力一行） / Power list (Excel, one row per power)"),
}


class _Shares:
    """Each file's share of the dumps (its Turtle prefixes and body, N-Triples, JSON-LD
    nodes, as UTF-8 bytes) and each power's table row, made from the file when a dump
    needs it. A rebuild takes the shares of unchanged files from the previous dumps'
    blocks, so only changed files are read; a first build reads each file once per
    format and the Turtle dump's twice (its prefixes are gathered first), and parses it
    for the N-Triples and JSON-LD only (records are already in canonical Turtle).
    Nothing is cached between builds: the previous dumps are the cache."""

    def __init__(self, snap: Snapshot):
        self.snap = snap
        self.labels = snap.labels_key()
        self.codes: Codes | None = None
        self._last: tuple[str, RdfFile] | None = None
        self._rows: dict[str, dict] = {}

    def _file(self, path: str) -> RdfFile:
        if self._last is None or self._last[0] != path:
            data = self.snap.files[path].read()
            self._last = (path, RdfFile(path, data.decode("utf-8"), parse(data)))
        return self._last[1]

    def ttl(self, path: str) -> tuple[tuple[str, ...], bytes]:
        """The file's prefix lines and its body for the one-document Turtle dump."""
        text = self.snap.files[path].read().decode("utf-8")
        head, body = turtle_piece_of(text, lambda: self._file(path).triples)
        return tuple(head), body.encode("utf-8")

    def nt(self, path: str) -> bytes:
        return ntriples_piece(self._file(path)).encode("utf-8")

    def jsonld(self, path: str) -> list[bytes]:
        return [line.encode("utf-8") for line in jsonld_piece(self._file(path))]

    def row(self, p) -> dict:
        """The power's table row (its ``seq`` left to the caller); kept, since the CSV and
        the XLSX ask for the same rows, but not the model it was made from."""
        row = self._rows.get(p.path)
        if row is None:
            self.codes = self.codes or Codes.from_snapshot(self.snap)
            row = self._rows[p.path] = power_row(self.snap, self.snap.power_model(p.code),
                                                 self.codes, 0)
            forget = getattr(self.snap, "forget_model", None)
            if forget is not None:  # a SummarySnapshot: 40,000 models would stay in memory
                forget(p.code)
        return row


def _index_cache(root: Path) -> RecordCache:
    """Where each dump's blocks lie in the files of the last build (``registry.gzsplice``)."""
    return RecordCache(root, "dumps-index", fingerprint())


@dataclass
class _Order:
    """The dumps' pieces in order: the record files by path and the powers by code, each
    with the id of its content (path and blob id: the key of its pieces) and whether a
    block ends after it (``registry.gzsplice.anchor_cuts``: by path, so it survives
    edits)."""

    paths: list[str]
    ids: list[bytes]
    cuts: list[bool]
    powers: list
    power_ids: list[bytes]
    power_cuts: list[bool]

    @classmethod
    def of(cls, snap: Snapshot) -> _Order:
        paths = record_paths(snap)
        files = snap.files
        ids = [hashlib.blake2b(f"{p}\0{files[p].blob}".encode("utf-8", "surrogatepass"),
                               digest_size=16).digest() for p in paths]
        cuts = [anchor_cuts(p) for p in paths]
        powers = select_powers(snap)
        by_path = dict(zip(paths, zip(ids, cuts, strict=True), strict=True))
        power_ids, power_cuts = [], []
        for p in powers:
            i, c = by_path[p.path]
            power_ids.append(i)
            power_cuts.append(c)
        return cls(paths, ids, cuts, powers, power_ids, power_cuts)


def _first(keys: list[bytes]) -> list[bytes]:
    """``keys`` with the first one marked: the first piece has no separator before it."""
    return [keys[0] + b"."] + keys[1:] if keys else keys


def _write_format(fmt: str, splicer: GzipSplicer, shares: _Shares, order: _Order,
                  old: dict) -> dict:
    """Add every piece of one dump to ``splicer``: the head and tail in blocks of their
    own, the files' (or rows') pieces cut into blocks by ``order``; returns what the next
    build must know beyond the blocks (Turtle prefixes, JSON-LD shares that are empty)."""
    extra: dict = {}
    paths, ids, cuts = order.paths, order.ids, order.cuts
    if fmt == "ttl":
        old_heads = old.get("heads", {})
        heads = {}
        same: dict[tuple, tuple] = {}  # one object per distinct head: the index stays small
        for k, path in zip(ids, paths, strict=True):
            head = old_heads.get(k)
            if head is None:
                head = shares.ttl(path)[0]
            heads[k] = same.setdefault(head, head)
        extra["heads"] = heads
        prefixes = sorted({line for head in same for line in head})  # each distinct head once
        text = ("\n".join(prefixes) + "\n\n").encode("utf-8")
        splicer.add(piece_key("ttl-head", text), lambda: text)
        splicer.add_run(_first(ids), cuts,
                        lambda i: (b"\n" if i else b"") + shares.ttl(paths[i])[1])
    elif fmt == "nt":
        splicer.add_run(ids, cuts, lambda i: shares.nt(paths[i]))
    elif fmt == "jsonld":
        # nodes joined by commas: the first file with nodes has none before it, every later
        # one has one (an empty share is empty); the key says which, so a share is copied
        # only where it stands alike
        head, _, tail = jsonld_join([["\0"]]).partition("\0")
        splicer.add(piece_key("jsonld-head", head), lambda: head.encode("utf-8"))
        old_empty = old.get("empty", set())
        first = 0
        while first < len(ids) and (ids[first] in old_empty or (
                ids[first] not in old.get("known", set()) and not shares.jsonld(paths[first]))):
            first += 1
        extra["empty"], extra["known"] = set(ids[:first]), set(ids[:first + 1])
        keys = [k + (b"-" if i < first else b"." if i == first else b"+")
                for i, k in enumerate(ids)]

        def nodes(i: int) -> bytes:
            lines = shares.jsonld(paths[i])
            return (b",\n" if i > first and lines else b"") + b",\n".join(lines)
        splicer.add_run(keys, cuts, nodes)
        splicer.add(piece_key("jsonld-tail", tail), lambda: tail.encode("utf-8"))
    elif fmt == "csv":
        extra["labels"] = shares.labels
        head = csv_head()
        splicer.add(piece_key("csv-head", head), lambda: head)
        powers = order.powers
        splicer.add_run([k + seq.to_bytes(4, "little")
                         for seq, k in enumerate(order.power_ids, start=1)], order.power_cuts,
                        lambda i: csv_row({**shares.row(powers[i]), "seq": i + 1}))
    return extra


#: Rows of the XLSX list deflated together (see ``registry.zipsplice``).
XLSX_BLOCK = 500


def _write_xlsx(path: Path, shares: _Shares, order: _Order, old: dict, old_fd: int | None
                ) -> tuple[int, str, dict]:
    """The XLSX: the list sheet's rows deflated in blocks of ``XLSX_BLOCK``; a block whose
    rows are the previous workbook's is copied from it, deflated. In a block that changed,
    the rows that did not are taken from the previous block, inflated (each row's XML
    stands alone: XlsxWriter writes strings inline in constant-memory mode), and
    XlsxWriter writes only the others (every row the first time)."""
    old_blocks: dict[bytes, tuple[int, int, int, int]] = old.get("blocks") or {}
    old_spans: list[tuple[bytes, tuple[bytes, ...]]] = old.get("spans") or []
    old_data = b""
    if old_blocks and old_fd is not None:
        size = os.fstat(old_fd).st_size
        old_data = os.pread(old_fd, size, 0)
        if len(old_data) != size:
            old_blocks, old_spans = {}, []
    powers = order.powers
    keys = [k + seq.to_bytes(4, "little") for seq, k in enumerate(order.power_ids, start=1)]
    spans = [(start, min(start + XLSX_BLOCK, len(powers)))
             for start in range(0, len(powers), XLSX_BLOCK)]
    block_keys = [hashlib.blake2b(b"".join(keys[a:b]), digest_size=16).digest()
                  for a, b in spans]
    kept: dict[int, bytes] = {}  # sheet row → its XML, from the previous workbook
    for i, ((a, b), k) in enumerate(zip(spans, block_keys, strict=True)):
        if k in old_blocks or i >= len(old_spans) or old_spans[i][0] not in old_blocks:
            continue
        old_key, old_keys = old_spans[i]
        offset, length, _, _ = old_blocks[old_key]
        xml = zlib.decompress(old_data[offset:offset + length] + _DEFLATE_END, -15)
        old_rows = {int(m.group(1)) - 1: m.group(0) for m in ROW_XML.finditer(xml)}
        for seq in range(a + 1, b + 1):
            if seq - 1 - a < len(old_keys) and old_keys[seq - 1 - a] == keys[seq - 1] and \
                    seq in old_rows:
                kept[seq] = old_rows[seq]
    todo = ((seq, {**shares.row(powers[seq - 1]), "seq": seq})  # one at a time: 40,000 at 40k
            for (a, b), k in zip(spans, block_keys, strict=True) if k not in old_blocks
            for seq in range(a + 1, b + 1) if seq not in kept)
    parts = xlsx_parts(todo)
    rows = {**parts.rows, **kept}
    blocks = []
    for (a, b), k in zip(spans, block_keys, strict=True):
        hit = old_blocks.get(k)
        if hit is not None:
            offset, length, crc, size = hit
            blocks.append(Deflated(old_data[offset:offset + length], crc, size))
        else:
            blocks.append(deflate(b"".join(rows[n] for n in range(a + 1, b + 1))))
    sheet = [deflate(xlsx_sheet_head(parts, len(powers))), *blocks, deflate(parts.tail)]
    members = [(name, [deflate(data)]) for name, data in parts.members]
    members.insert(parts.position, (XLSX_SHEET, sheet))
    data, starts = zip_archive(members)
    size, sha = _write_stream(path, [data])
    where, index = starts[parts.position] + len(sheet[0].data), {}
    for k, block in zip(block_keys, blocks, strict=True):
        index[k] = (where, len(block.data), block.crc, block.size)
        where += len(block.data)
    return size, sha, {"blocks": index, "spans": [
        (k, tuple(keys[a:b])) for (a, b), k in zip(spans, block_keys, strict=True)]}


_DEFLATE_END = b"\x03\x00"  # an empty final block: a block deflated apart then inflates alone


def _write_stream(path: Path, chunks: Iterable[bytes]) -> tuple[int, str]:
    """Write the chunks to ``path`` through a temporary file; (size, sha256)."""
    splicer = Splicer(path)
    try:
        for chunk in chunks:
            splicer.add(b"", lambda c=chunk: c)
    except BaseException:
        splicer.abort()  # no descriptor or half-written file left behind (a full disk)
        raise
    size, sha, _ = splicer.finish()
    return size, sha


def _open_previous(path: Path | None, stat: tuple | None) -> int | None:
    """A descriptor of the previous dump, if it is still the file its index describes
    (checked on the open file: it may be replaced between a look and an open)."""
    if path is None or stat is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    st = os.fstat(fd)
    if (st.st_size, st.st_mtime_ns, st.st_ino) != tuple(stat):
        os.close(fd)
        return None
    return fd


def _keep(written: Path, kept: Path) -> tuple[int, int, int]:
    """Keep the dump just written for the next build to splice from: a hard link (no copy)
    where the file system allows, else a copy, renamed into place. Returns what the next
    build checks the kept file against (size, mtime, inode)."""
    tmp = kept.with_name(f".{kept.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(written, tmp)
    except OSError:  # another file system, or no hard links there
        shutil.copyfile(written, tmp)
    os.replace(tmp, kept)
    st = kept.stat()
    return st.st_size, st.st_mtime_ns, st.st_ino


def write_dumps(snap: Snapshot, out_dir: Path, root: Path | None = None) -> list[Distribution]:
    """Write every dump into ``out_dir`` (each atomically: a temporary file renamed into
    place; the text dumps a block at a time) and describe them.

    With ``root`` (the registry), each dump written is also kept in its cache folder
    (``.powers-cache/dumps-last/``, hard-linked to the written file: no copy while the
    site has it), with where each block and piece lies in it (``dumps-index``); the next
    call copies what did not change from those files, whether or not the site still has
    them (after ``powers build --no-dumps``, or a site deleted).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    index_cache = _index_cache(root) if root is not None else None
    keep = Path(root) / CACHE_DIR / "dumps-last" if root is not None else None
    old_all = (index_cache.get("index", "dumps-last") if index_cache else None) or {}
    shares = _Shares(snap)
    if root is not None:  # the per-file cache of earlier versions (1.1 GB at 40k): unused now
        shutil.rmtree(Path(root) / CACHE_DIR / "dumps", ignore_errors=True)
    order = _Order.of(snap)
    new_all: dict[str, dict] = {}
    found = []
    for fmt, (filename, media_type, title) in DUMP_FORMATS.items():
        old = old_all.get(fmt) or {}
        fd = None
        if old and old.get("labels", shares.labels) == shares.labels:  # rows show labels
            fd = _open_previous(keep / filename if keep else None, old.get("stat"))
        if fd is None:  # not there, changed behind the index's back, or other labels
            old = {}
        content_size = None
        try:
            if fmt == "xlsx":
                size, sha, extra = _write_xlsx(out_dir / filename, shares, order, old, fd)
                extra["labels"] = shares.labels
            else:
                splicer = GzipSplicer(out_dir / filename, fd, old.get("blocks"))
                try:
                    extra = _write_format(fmt, splicer, shares, order, old)
                except BaseException:
                    splicer.abort()
                    raise
                size, sha, extra["blocks"] = splicer.finish()
                content_size = extra["blocks"].size
        finally:
            if fd is not None:
                os.close(fd)
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            extra["stat"] = _keep(out_dir / filename, keep / filename)
        new_all[fmt] = extra
        found.append(Distribution(filename=filename, format=fmt, media_type=media_type,
                                  size=size, sha256=sha, title=title,
                                  compression=GZIP if filename.endswith(".gz") else None,
                                  content_size=content_size))
    if index_cache is not None:
        index_cache.clear()
        index_cache.put("index", "dumps-last", new_all)
        index_cache.save()
    return found
