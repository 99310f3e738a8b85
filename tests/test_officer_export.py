"""`powers export`, the open-data dumps and their DCAT-AP description."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time

import pytest
import rdflib
from officer_util import run
from openpyxl import load_workbook

from registry.dcat import dcat_triples, dcat_turtle
from registry.dumps import Distribution, write_dumps
from registry.exporter import export_bytes
from registry.snapshot import load_snapshot
from registry.tables import EXPORT_COLUMNS

DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")


@pytest.fixture(scope="module")
def snap(small_registry):
    return load_snapshot(small_registry, use_cache=False)


def test_xlsx_is_one_row_per_power_with_chinese_headers(small_registry, snap, tmp_path, capsys):
    out_file = tmp_path / "清单.xlsx"
    code, out, err = run(capsys, small_registry, "export", "-f", "xlsx", "-o", str(out_file))
    assert code == 0, err
    ws = load_workbook(out_file).worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["序号", "基本编码", "事项名称"]
    assert "实施依据" in header and "行使层级" in header and "状态" in header
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(snap.powers)
    first = sorted(snap.powers.values(), key=lambda p: p.code)[0]
    row = dict(zip(header, rows[0], strict=False))
    assert row["基本编码"] == first.code
    assert row["实施主体"] == snap.departments[first.department].name
    assert "《" in row["实施依据"]  # citations as text
    assert row["事项类型"] == snap.concept_label("power-type", first.power_type)


def test_department_filter_by_name_code_or_folder(small_registry, snap, tmp_path, capsys):
    dept = snap.departments["jiaotong"]
    for arg in (dept.name, dept.code, "jiaotong"):
        out_file = tmp_path / "d.csv"
        code, _, err = run(capsys, small_registry, "export", "-d", arg, "-o", str(out_file))
        assert code == 0, err
        rows = list(csv.reader(io.StringIO(out_file.read_bytes().decode("utf-8-sig"))))
        assert len(rows) - 1 == len(snap.powers_of_department("jiaotong"))
        assert {r[5] for r in rows[1:]} == {dept.name}


@pytest.mark.parametrize("fmt,rdf_format", [("ttl", "turtle"), ("nt", "nt"),
                                            ("jsonld", "json-ld")])
def test_rdf_exports_hold_every_record(small_registry, snap, fmt, rdf_format):
    data = export_bytes(snap, fmt)
    g = rdflib.Graph().parse(data=data, format=rdf_format)
    pw = rdflib.Namespace("https://powers.example.org/def/")
    powers = set(g.subjects(rdflib.RDF.type, pw.AdministrativePower))
    assert len(powers) == len(snap.powers)
    assert len(g) == len(snap.store())  # every triple of every file, nothing more


def test_exports_are_reproducible(snap):
    """The same registry gives the same bytes, later too (checksums and ETags hold)."""
    first = {fmt: export_bytes(snap, fmt) for fmt in ("xlsx", "csv", "ttl", "nt", "jsonld")}
    time.sleep(1.1)  # spreadsheet writers stamp the time to the second
    for fmt, data in first.items():
        assert export_bytes(snap, fmt) == data, fmt


def test_format_is_taken_from_the_file_name(small_registry, tmp_path, capsys):
    code, _, _ = run(capsys, small_registry, "export", "-o", str(tmp_path / "a.nt"))
    assert code == 0 and (tmp_path / "a.nt").read_text(encoding="utf-8").startswith(("<", "_:"))
    code, _, err = run(capsys, small_registry, "export", "-o", str(tmp_path / "a.doc"))
    assert code == 2 and "--format" in err


def test_unknown_department_is_an_error(small_registry, tmp_path, capsys):
    code, _, err = run(capsys, small_registry, "export", "-d", "不存在", "-o",
                       str(tmp_path / "x.csv"))
    assert code == 1 and "不存在" in err
    assert not (tmp_path / "x.csv").exists()


# --- open data ------------------------------------------------------------------------------

def test_write_dumps_describes_each_file_truly(snap, tmp_path, monkeypatch):
    """Text dumps are gzip files of several members (blocks) that any gzip reader reads
    as one stream: the RDF dumps hold every triple of the registry, the JSON-LD parses,
    the CSV has a row per power; sizes and checksums are those of the files."""
    import gzip

    import pyoxigraph as ox

    import registry.gzsplice

    monkeypatch.setattr(registry.gzsplice, "AVERAGE_BLOCK", 4)  # many members
    dists = write_dumps(snap, tmp_path)
    assert [d.filename for d in dists] == ["powers.ttl.gz", "powers.nt.gz", "powers.jsonld.gz",
                                           "powers.csv.gz", "powers.xlsx"]
    content = {}
    for d in dists:
        data = (tmp_path / d.filename).read_bytes()
        assert d.size == len(data) and d.sha256 == hashlib.sha256(data).hexdigest()
        assert " / " in d.title and d.media_type
        if d.filename.endswith(".gz"):
            assert d.compression == "application/gzip"
            assert _gzip_members(data) > 3  # one per block
            content[d.format] = gzip.decompress(data)
            assert d.content_size == len(content[d.format]) > d.size
        else:
            assert d.compression is None
    json.loads(content["jsonld"])
    assert not list(tmp_path.glob(".*.tmp"))
    triples = {str(t) for src in snap.files.values() if src.kind == "power"
               for t in ox.parse(src.read(), format=ox.RdfFormat.TURTLE) if
               not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)}
    for fmt, rdf_format in (("nt", ox.RdfFormat.N_TRIPLES), ("ttl", ox.RdfFormat.TURTLE)):
        dumped = {str(t) for t in ox.parse(content[fmt], format=rdf_format)}
        assert triples <= dumped, fmt
    rows = content["csv"].decode("utf-8-sig").splitlines()
    assert len([r for r in rows if r[:1].isdigit()]) >= len(snap.powers)
    # the same registry gives the same files
    again = write_dumps(snap, tmp_path / "again")
    assert [d.sha256 for d in again] == [d.sha256 for d in dists]


def test_dumps_spliced_after_a_change_are_the_dumps_written_anew(registry_copy, tmp_path,
                                                                 monkeypatch):
    """Dumps written over the previous ones (unchanged pieces copied from them) after a
    title change, a removal and a new record are byte for byte the dumps written from
    scratch, and the workbook opens in a spreadsheet reader; only the changed records
    are read, even when the site's copies are gone (the registry's cache keeps the last
    dumps); a previous file changed behind the index's back is not trusted."""
    import gzip
    import re
    import shutil

    import openpyxl

    import registry.dumps
    import registry.gzsplice

    monkeypatch.setattr(registry.dumps, "XLSX_BLOCK", 4)  # many blocks, most of them copied
    monkeypatch.setattr(registry.gzsplice, "AVERAGE_BLOCK", 4)

    read = []
    nt = registry.dumps._Shares.nt
    monkeypatch.setattr(registry.dumps._Shares, "nt",
                        lambda self, path: read.append(path) or nt(self, path))
    site_data = tmp_path / "site-data"
    write_dumps(load_snapshot(registry_copy), site_data, root=registry_copy)
    everything = len(read)
    files = sorted((registry_copy / "data" / "powers").rglob("*.ttl"))
    text = files[3].read_text(encoding="utf-8")
    files[3].write_text(re.sub(r'(dcterms:title\s+"[^"]*)"@zh', r'\1（改）"@zh', text, count=1),
                        encoding="utf-8")
    shutil.copy(files[5], files[5].with_name("339999999000.ttl"))
    new = files[5].with_name("339999999000.ttl")
    new.write_text(new.read_text(encoding="utf-8").replace(files[5].stem, "339999999000"),
                   encoding="utf-8")
    files[7].unlink()
    for step in ("spliced", "site gone", "tampered", "relabelled"):
        if step == "site gone":  # powers build --no-dumps, or the site deleted; one more edit
            shutil.rmtree(site_data)
            text = files[4].read_text(encoding="utf-8")
            files[4].write_text(re.sub(r'(dcterms:title\s+"[^"]*)"@zh', r'\1（改）"@zh', text,
                                       count=1), encoding="utf-8")
        if step == "tampered":
            with open(registry_copy / ".powers-cache" / "dumps-last" / "powers.nt.gz",
                      "ab") as fh:
                fh.write(gzip.compress(b"# not from the registry\n"))
        if step == "relabelled":  # a department's name is in every row of its powers
            dept = sorted((registry_copy / "data" / "departments").glob("*.ttl"))[0]
            dept.write_text(re.sub(r'prefLabel\s+"', 'prefLabel\n        "（新）', dept.read_text(
                encoding="utf-8"), count=1), encoding="utf-8")
        snap = load_snapshot(registry_copy)
        staged = tmp_path / f"staged-{step}"
        read.clear()
        spliced = write_dumps(snap, staged, root=registry_copy)
        if step in ("spliced", "site gone"):  # the changed and new records alone
            assert read == sorted(read) and 0 < len(read) <= 2, read
        if step == "tampered":
            assert len(read) == everything
        fresh = write_dumps(snap, tmp_path / f"fresh-{step}")
        assert [d.sha256 for d in spliced] == [d.sha256 for d in fresh]
        for d in fresh:
            assert (staged / d.filename).read_bytes() == \
                (tmp_path / f"fresh-{step}" / d.filename).read_bytes(), d.filename
        assert "（改）" in gzip.decompress((staged / "powers.csv.gz").read_bytes()).decode()
        sheet = openpyxl.load_workbook(staged / "powers.xlsx", read_only=True).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        assert len(rows) == 1 + len(snap.powers) and any("（改）" in str(r) for r in rows)
        site_data.mkdir(exist_ok=True)
        for d in spliced:  # as a build commits them
            (staged / d.filename).replace(site_data / d.filename)


def test_dcat_description_is_dcat_ap_complete(snap, tmp_path):
    dists = write_dumps(snap, tmp_path)
    triples = dcat_triples(snap, dists, "https://example.org/powers/", modified="2024-05-01")
    g = rdflib.Graph().parse(data=dcat_turtle(triples), format="turtle")
    dataset = next(g.subjects(rdflib.RDF.type, DCAT.Dataset))
    catalog = next(g.subjects(rdflib.RDF.type, DCAT.Catalog))
    assert (catalog, DCAT.dataset, dataset) in g
    titles = {t.language for t in g.objects(dataset, DCT.title)}
    assert titles == {"zh", "en"}
    assert {d.language for d in g.objects(dataset, DCT.description)} == {"zh", "en"}
    for prop in (DCT.publisher, DCT.license, DCT.issued, DCT.spatial, DCAT.keyword,
                 DCAT.landingPage):
        assert g.value(dataset, prop) is not None, prop
    assert str(g.value(dataset, DCT.modified)) == "2024-05-01"
    assert str(g.value(dataset, DCT.spatial)) == "http://sws.geonames.org/1784764/"
    distributions = list(g.objects(dataset, DCAT.distribution))
    assert len(distributions) == 5
    by_url = {str(g.value(d, DCAT.downloadURL)): d for d in distributions}
    for d in dists:
        node = by_url[f"https://example.org/powers/data/{d.filename}"]
        assert str(g.value(node, DCAT.mediaType)).endswith(d.media_type)
        compressed = g.value(node, DCAT.compressFormat)
        assert (str(compressed) if compressed else None) == \
            ("http://www.iana.org/assignments/media-types/application/gzip"
             if d.filename.endswith(".gz") else None)
        assert int(g.value(node, DCAT.byteSize)) == d.size
        checksum = g.value(node, SPDX.checksum)
        assert str(g.value(checksum, SPDX.checksumValue)) == d.sha256
        assert g.value(node, DCAT.accessURL) is not None


def test_dcat_triples_take_any_distribution_list(snap):
    one = Distribution("powers.csv", "csv", "text/csv", 10, "ab" * 32, "清单 / List")
    triples = dcat_triples(snap, [one], "https://x.example")
    assert any(t.predicate.value.endswith("byteSize") and t.object.value == "10"
               for t in triples)


def test_export_columns_have_unique_headers():
    headers = [c.header for c in EXPORT_COLUMNS]
    assert len(headers) == len(set(headers))


def test_every_column_and_layout_is_documented():
    from officer_util import REPO

    from registry.tables import LAYOUTS

    doc = (REPO / "docs" / "SPREADSHEETS.md").read_text(encoding="utf-8")
    for col in EXPORT_COLUMNS:
        assert f"| {col.header} | {col.header_en} |" in doc, col.header
    for name in LAYOUTS:
        assert name in doc


def test_written_files_are_readable_by_a_web_server(snap, tmp_path):
    for d in write_dumps(snap, tmp_path):
        assert (tmp_path / d.filename).stat().st_mode & 0o044 == 0o044, d.filename


def _rows_with(snap, **fields) -> list[dict]:
    from registry.cells import Codes
    from registry.exporter import select_powers, table_rows

    rows = table_rows(snap, select_powers(snap)[:3], Codes.from_snapshot(snap))
    rows[1].update(fields)
    return rows


def test_text_shaped_like_rich_text_xml_stays_text_in_xlsx(snap):
    from registry.exporter import xlsx_bytes

    tricky = ["<r>A&B</r>", "<r><t>injected</t></r>", "<b>粗体</b> & 费用"]
    rows = _rows_with(snap, title=tricky[0], fee_basis=tricky[1], handling_unit=tricky[2])
    sheet = load_workbook(io.BytesIO(xlsx_bytes(rows)), read_only=True).worksheets[0]
    headers = [c.header for c in EXPORT_COLUMNS]
    values = dict(zip(headers, list(sheet.iter_rows(min_row=3, max_row=3, values_only=True))[0],
                      strict=False))
    by_key = {c.key: c.header for c in EXPORT_COLUMNS}
    assert values[by_key["title"]] == tricky[0]
    assert values[by_key["fee_basis"]] == tricky[1]
    assert values[by_key["handling_unit"]] == tricky[2]


def test_a_cell_over_excels_limit_in_utf16_units_is_refused(snap):
    from registry.exporter import ExportError, xlsx_bytes

    rows = _rows_with(snap, fee_basis="\U00020000" * 20_000)  # 40,000 UTF-16 units
    with pytest.raises(ExportError, match="32,767"):
        xlsx_bytes(rows)


def test_a_zip_of_pieces_deflated_apart_reads_back_in_any_zip_reader():
    """The XLSX dump's archive is written by hand from blocks deflated apart: zipfile reads
    every member back, checks its CRC-32 (combined from the blocks'), and finds the dates
    and modes zipfile itself would write."""
    import io
    import random
    import zipfile
    import zlib

    from registry.zipsplice import crc32_combine, deflate, zip_archive

    rng = random.Random(5)
    for _ in range(100):
        a, b = rng.randbytes(rng.randint(0, 5000)), rng.randbytes(rng.randint(0, 5000))
        assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)
    blocks = ["<row>事项</row>".encode() * 400, b"", rng.randbytes(70_000), b"<end/>"]
    data, starts = zip_archive([("xl/worksheets/sheet1.xml", [deflate(x) for x in blocks]),
                                ("docProps/app.xml", [deflate(b"<app/>")]), ("empty", [])])
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        assert zf.read("xl/worksheets/sheet1.xml") == b"".join(blocks)
        assert zf.read("docProps/app.xml") == b"<app/>" and zf.read("empty") == b""
        info = zf.getinfo("empty")
        assert info.date_time == (1980, 1, 1, 0, 0, 0) and info.external_attr >> 16 == 0o100644
    assert data[starts[1]:starts[1] + len(deflate(b"<app/>").data)] == deflate(b"<app/>").data


def test_a_gzip_dump_rewritten_after_an_edit_copies_every_block_it_did_not_touch(tmp_path):
    """A gzip file of keyed pieces written over the previous one after an edit, an
    insertion and a removal is byte for byte the file written from scratch, and only the
    blocks holding the changes are compressed again (the others are copied compressed)."""
    import gzip
    import os

    from registry.gzsplice import GzipSplicer, anchor_cuts

    def write(path, files, old=None, index=None):
        fd = os.open(old, os.O_RDONLY) if old else None
        try:
            splicer = GzipSplicer(path, fd, index)
            splicer.add(b"head", lambda: b"# head\n")
            splicer.add_run([(name + text).encode() for name, text in files],
                            [anchor_cuts(name) for name, _ in files],
                            lambda i: files[i][1].encode())
            size, sha, new_index = splicer.finish()
        finally:
            if fd is not None:
                os.close(fd)
        return splicer.made_blocks, sha, new_index

    files = [(f"data/powers/x/{n:04d}.ttl", f"<urn:p{n}> <urn:name> \"事项 {n}\" .\n" * 20)
             for n in range(2000)]
    first = tmp_path / "first.nt.gz"
    made, _, index = write(first, files)
    assert gzip.decompress(first.read_bytes()) == b"# head\n" + \
        "".join(t for _, t in files).encode()
    blocks = len(index.blocks.pieces)
    assert made == blocks and 20 < blocks < 200

    edited = list(files)
    edited[700] = (edited[700][0], edited[700][1].replace("事项", "事项（改）"))
    edited.insert(1500, ("data/powers/x/1499a.ttl", "<urn:new> <urn:name> \"新\" .\n"))
    del edited[30]
    spliced, fresh = tmp_path / "spliced.nt.gz", tmp_path / "fresh.nt.gz"
    made, sha, _ = write(spliced, edited, first, index)
    _, fresh_sha, _ = write(fresh, edited)
    assert spliced.read_bytes() == fresh.read_bytes() and sha == fresh_sha
    assert 3 <= made <= 6  # the three blocks changed (and a neighbour where a cut moved)


def test_n_triples_rename_blank_nodes_and_never_touch_a_literal():
    """Blank nodes of a file's N-Triples get labels made from its path, in the order they
    first appear; a literal that looks like a blank node (hostile or not) is left as it is."""
    import pyoxigraph as ox

    from registry.exporter import RdfFile, bnode_prefix, ntriples_piece

    text = ('@prefix pw: <https://powers.example.org/def/> .\n'
            '<https://x.example/p> pw:legalBasis [ pw:note "a> _:b1 ." ; pw:next [ '
            'pw:note "_:b2" ] ] ; pw:title "标题 _:x" ; pw:text "行\u2028_:y z\u0085_:b2 ." .\n')
    f = RdfFile("data/powers/x/330000001000.ttl", text,
                list(ox.parse(text, format=ox.RdfFormat.TURTLE)))
    out = ntriples_piece(f)
    stem = bnode_prefix(f.path)
    assert f"_:{stem}x1" in out and f"_:{stem}x2" in out and f"_:{stem}x3" not in out
    literals = {t.object.value for t in ox.parse(out, format=ox.RdfFormat.N_TRIPLES)
                if isinstance(t.object, ox.Literal)}
    assert literals == {"a> _:b1 .", "_:b2", "标题 _:x", "行\u2028_:y z\u0085_:b2 ."}
    assert ntriples_piece(f) == out  # the same file, the same bytes


def test_the_json_ld_dump_stays_valid_json_when_the_first_files_have_no_nodes(
        registry_copy, tmp_path, monkeypatch):
    """The comma before a file's nodes depends on whether a file before it had any. With
    the first files empty, when the first file with nodes loses them and when an earlier
    file gains some, the dump parses and the spliced dump is the dump written fresh."""
    import gzip

    import registry.dumps

    mark = "# 本文件在 JSON-LD 中无节点（测试）\n"
    real = registry.dumps._Shares.jsonld
    monkeypatch.setattr(  # a file's emptiness follows its content, as it would for real
        registry.dumps._Shares, "jsonld", lambda self, path: [] if mark.encode() in
        self.snap.files[path].read() else real(self, path))
    paths = sorted(registry.dumps.record_paths(load_snapshot(registry_copy)))[:4]

    def toggle(path: str) -> None:
        f = registry_copy / path
        text = f.read_text(encoding="utf-8")
        f.write_text(text.replace(mark, "") if mark in text else mark + text, encoding="utf-8")

    for path in (paths[0], paths[1], paths[3]):  # empty, empty, nodes, empty, nodes …
        toggle(path)
    for step in ("two empty first", "the first with nodes loses them", "an empty one gains"):
        if step == "the first with nodes loses them":
            toggle(paths[2])
        if step == "an empty one gains":
            toggle(paths[1])
        snap = load_snapshot(registry_copy)
        spliced = write_dumps(snap, tmp_path / step, root=registry_copy)
        fresh = write_dumps(snap, tmp_path / f"fresh {step}")
        assert [d.sha256 for d in spliced] == [d.sha256 for d in fresh], step
        doc = json.loads(gzip.decompress((tmp_path / step / "powers.jsonld.gz").read_bytes()))
        assert len(doc["@graph"]) > 10

def _gzip_members(data: bytes) -> int:
    """How many gzip members ``data`` holds, read one after the other."""
    import zlib

    count = 0
    while data:
        d = zlib.decompressobj(31)
        d.decompress(data)
        assert d.eof, "a member is cut short"
        count += 1
        data = d.unused_data
    return count
