"""A ZIP archive (the XLSX dump) put together from pieces deflated apart.

The list sheet of a 40,000-row workbook is ~170 MB of XML; deflating it anew on every
build took a second, and so did inflating the previous one to take its rows. Here each
block of rows is deflated on its own (a fresh compressor, ended with a full flush, so it
stands at a byte boundary and refers to nothing before it: what pigz does to compress in
parallel), a member's data is its blocks one after the other and an empty final block, and
its CRC-32 is combined from theirs. A block whose rows did not change is copied, deflated,
from the previous file. The same rows always give the same bytes.
"""

from __future__ import annotations

import struct
import zlib
from typing import NamedTuple

_POLY = 0xEDB88320  # CRC-32, reflected


def _multmodp(a: int, b: int) -> int:
    """a·b modulo the CRC polynomial (zlib's ``multmodp``)."""
    m, p = 1 << 31, 0
    while True:
        if a & m:
            p ^= b
            if a & (m - 1) == 0:
                return p
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1


def _powers() -> list[int]:
    table, p = [], 1 << 30  # x^1
    for _ in range(32):
        table.append(p)
        p = _multmodp(p, p)
    return table


_X2N = _powers()  # x^(2^k) modulo the polynomial


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of A + B from those of A and B and the length of B (zlib's
    ``crc32_combine``, which Python's zlib does not offer)."""
    p, k = 1 << 31, 3  # x^0; a byte is 2^3 bits
    while len2:
        if len2 & 1:
            p = _multmodp(_X2N[k & 31], p)
        len2 >>= 1
        k += 1
    return _multmodp(p, crc1) ^ crc2


class Deflated(NamedTuple):
    """Raw deflate blocks that end at a byte boundary and refer to nothing before them,
    with the CRC-32 and length of what they hold."""

    data: bytes
    crc: int
    size: int


def deflate(raw: bytes, level: int = 1) -> Deflated:
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return Deflated(c.compress(raw) + c.flush(zlib.Z_FULL_FLUSH), zlib.crc32(raw), len(raw))


_END = b"\x03\x00"  # a final, empty block (fixed codes): ends a member's deflate stream
_DOS_TIME, _DOS_DATE = 0, (1 << 5) | 1  # 1980-01-01 00:00:00, as zipfile writes fixed dates
_MADE_BY = (3 << 8) | 20  # Unix, ZIP 2.0
_MODE = 0o100644 << 16


def zip_archive(members: list[tuple[str, list[Deflated]]]) -> tuple[bytes, list[int]]:
    """The archive of ``members`` (name, its pieces in order), and the offset in it where
    each member's data starts (so a piece can be found again by offset)."""
    out = bytearray()
    central = bytearray()
    starts = []
    for name, pieces in members:
        crc, size = 0, 0
        for piece in pieces:
            crc = crc32_combine(crc, piece.crc, piece.size)
            size += piece.size
        packed = sum(len(p.data) for p in pieces) + len(_END)
        encoded = name.encode("ascii")
        fields = (20, 0, zlib.DEFLATED, _DOS_TIME, _DOS_DATE, crc, packed, size, len(encoded), 0)
        header_at = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + encoded
        starts.append(len(out))
        for piece in pieces:
            out += piece.data
        out += _END
        central += struct.pack("<IH", 0x02014B50, _MADE_BY) + \
            struct.pack("<HHHHHIIIHH", *fields) + \
            struct.pack("<HHHII", 0, 0, 0, _MODE, header_at) + encoded
    at = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central),
                       at, 0)
    return bytes(out), starts
