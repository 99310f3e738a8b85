"""The registry's bulk downloads (open data): one file per format, with size and checksum.

``write_dumps`` writes ``powers.ttl``, ``powers.nt``, ``powers.jsonld``, ``powers.csv`` and
``powers.xlsx`` into a folder and describes each as a ``Distribution``; ``registry.dcat``
turns those into the DCAT-AP description a data portal harvests. The site build puts them
in its ``data/`` folder and the API serves the same files. The RDF dumps hold every
record (powers, departments, laws, code lists, the vocabulary), so they stand alone; the
spreadsheets hold one row per power. The same registry always gives the same bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

from .cells import Codes
from .exporter import (
    csv_bytes,
    jsonld_text,
    ntriples_text,
    read_rdf,
    record_paths,
    select_powers,
    table_rows,
    turtle_text,
    write_atomic,
    xlsx_bytes,
)
from .snapshot import Snapshot


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


def dump_bytes(snap: Snapshot) -> dict[str, bytes]:
    """Every dump's bytes, by format (the RDF files are read and renamed once)."""
    per_file = read_rdf(snap, record_paths(snap))
    rows = table_rows(snap, select_powers(snap), Codes.from_snapshot(snap))
    return {
        "ttl": turtle_text(per_file).encode("utf-8"),
        "nt": ntriples_text(per_file).encode("utf-8"),
        "jsonld": jsonld_text(per_file).encode("utf-8"),
        "csv": csv_bytes(rows),
        "xlsx": xlsx_bytes(rows),
    }


def write_dumps(snap: Snapshot, out_dir: Path) -> list[Distribution]:
    """Write every dump into ``out_dir`` (each atomically) and describe them."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    found = []
    for fmt, data in dump_bytes(snap).items():
        filename, media_type, title = DUMP_FORMATS[fmt]
        write_atomic(out_dir / filename, data)
        found.append(Distribution(filename=filename, format=fmt, media_type=media_type,
                                  size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                                  title=title))
    return found
