"""A gzip file written again after a small change: unchanged blocks copied compressed.

The text dumps of 40,000 records hold about a gigabyte; written uncompressed and hashed
anew, they alone took longer than the five seconds a rebuild after one change may take.
Compressed, they are fifteen to twenty times smaller, as national portals publish theirs.

A gzip file may be several gzip members one after the other (RFC 1952 §2.2; ``gzip -d``,
``zcat``, Python's ``gzip`` and every RDF tool that reads ``.gz`` read them as one
stream). ``GzipSplicer`` groups the keyed pieces of a dump into blocks and compresses each
block as a member of its own. Where a block ends is decided by the pieces' *anchors* (the
path of the record file a piece comes from), not by counting, so an edit, an insertion or
a removal changes only the block that holds it and every other block keeps its key. A
block the previous file holds (the same pieces, by key) is copied from it still
compressed (``registry.splice.Splicer``); a new block takes the pieces it shares with an
old one from that block, decompressed, and makes only the others. The same pieces always
give the same bytes (the members carry no time stamp or name).
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .splice import PieceIndex, Splicer

#: A block ends after a piece whose anchor hashes to 0 modulo this: ~32 records a block
#: (about 350 KB of N-Triples), big enough to compress as well as one stream does
#: (within 2 %), small enough that remaking one costs a few milliseconds.
AVERAGE_BLOCK = 32
#: No block holds more pieces than this, whatever the anchors say.
MAX_BLOCK = 256
LEVEL = 6  # zlib's default: ~150 MB/s here, a third of the size level 1 gives

GZIP = "application/gzip"


@dataclass
class BlockIndex:
    """Where each block of a written file lies (``blocks``: block key → (offset, length)),
    and the pieces each holds, in order (block key → ((piece key, length), …))."""

    blocks: PieceIndex = field(default_factory=PieceIndex)
    pieces: dict[bytes, tuple[tuple[bytes, int], ...]] = field(default_factory=dict)
    size: int = 0  # bytes of the content, uncompressed


def anchor_cuts(anchor: str) -> bool:
    """Whether a block ends after the pieces of ``anchor`` (a file's path): CRC-32 is
    enough to spread the cuts, and a tenth of the cost of a cryptographic hash."""
    return zlib.crc32(anchor.encode("utf-8", "surrogatepass")) % AVERAGE_BLOCK == 0


def gzip_member(data: bytes, level: int = LEVEL) -> bytes:
    """``data`` as one gzip member, with no time stamp or file name (same data, same bytes)."""
    c = zlib.compressobj(level, zlib.DEFLATED, 31)  # 16 + 15: a gzip header and trailer
    return c.compress(data) + c.flush()


class GzipSplicer:
    """Writes ``path`` as gzip members of blocks of keyed pieces, copying the blocks
    ``old_index`` knows from ``old`` (an open file descriptor of the previous file).

    ``add`` puts one piece in a block of its own (a header, a trailer); ``add_run`` adds
    many, cut into blocks where their anchors say. Then ``finish``. Nothing is made per
    piece for a block that is copied: a rebuild after one change at 40,000 records looks
    at ~1,300 block keys per dump, not at 40,000 pieces.
    """

    def __init__(self, path: Path, old: int | None = None, old_index: BlockIndex | None = None,
                 level: int = LEVEL):
        self.old = old
        self.old_index = old_index if old is not None else None
        self.splicer = Splicer(path, old, self.old_index.blocks if self.old_index else None)
        self.level = level
        self.index = BlockIndex()
        self._where: dict[bytes, tuple[bytes, int, int]] | None = None  # piece → its old block
        self._opened: tuple[bytes, bytes] | None = None  # the last old block decompressed
        self.made_blocks = 0

    def add(self, key: bytes, make: Callable[[], bytes]) -> None:
        """A piece in a block of its own."""
        self._block([key], lambda _i: make(), 0)

    def add_run(self, keys: Sequence[bytes], cuts: Sequence[bool],
                make: Callable[[int], bytes]) -> None:
        """The pieces ``keys`` in order; a block ends after piece ``i`` when ``cuts[i]``
        (see ``anchor_cuts``) or when it holds ``MAX_BLOCK`` pieces; ``make(i)`` gives the
        bytes of piece ``i`` when no old block holds them."""
        start = 0
        for i, cut in enumerate(cuts):
            if cut or i + 1 - start >= MAX_BLOCK:
                self._block(keys[start:i + 1], make, start)
                start = i + 1
        if start < len(keys):
            self._block(keys[start:], make, start)

    def _block(self, keys: Sequence[bytes], make: Callable[[int], bytes], first: int) -> None:
        block_key = hashlib.blake2b(b"".join(keys), digest_size=16).digest()
        made: list[tuple[bytes, int]] = []

        def compress() -> bytes:
            parts = []
            for n, k in enumerate(keys):
                part = self._old_piece(k)
                parts.append(make(first + n) if part is None else part)
                made.append((k, len(parts[-1])))
            self.made_blocks += 1
            return gzip_member(b"".join(parts), self.level)

        self.splicer.add(block_key, compress)
        lengths = tuple(made) if made else self.old_index.pieces[block_key]
        self.index.pieces[block_key] = lengths
        self.index.size += sum(n for _, n in lengths)

    def _old_piece(self, key: bytes) -> bytes | None:
        """The piece ``key`` from the block of the old file that holds it, if any."""
        if self.old_index is None:
            return None
        if self._where is None:  # built on the first block made: most rebuilds make a few
            self._where = {}
            for block_key, lengths in self.old_index.pieces.items():
                at = 0
                for k, n in lengths:
                    self._where[k] = (block_key, at, n)
                    at += n
        hit = self._where.get(key)
        if hit is None:
            return None
        block_key, at, n = hit
        if self._opened is None or self._opened[0] != block_key:
            offset, length = self.old_index.blocks.pieces[block_key]
            data = os.pread(self.old, length, offset)
            if len(data) != length:
                raise OSError("the previous file is shorter than its index")
            self._opened = (block_key, zlib.decompress(data, 31))
        return self._opened[1][at:at + n]

    def finish(self) -> tuple[int, str, BlockIndex]:
        """Rename the written file into place; (size, sha256 of the compressed file, its
        index)."""
        size, sha, self.index.blocks = self.splicer.finish()
        return size, sha, self.index

    def abort(self) -> None:
        """Forget the file (after a failure)."""
        self.splicer.abort()
