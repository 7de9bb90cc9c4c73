"""The embedded Unicode font: ReportLab's TrueType subsetting, made lean, plus real metrics.

ReportLab subsets a TTF correctly (ToUnicode map included, so ``pdftotext`` reads the text
back), but each subset it writes carries the font's complete hinting programs and every
``name`` record. For DejaVu Sans the hinting alone is more than half of the glyph bytes and
the name table is 15 KB, which would push a one-page permit past its size budget. Hinting is
irrelevant for print and ignored by most PDF viewers, so :class:`LeanTTFont` strips it from
every subset it writes and keeps only the Windows name records that identify the font and
carry its copyright and licence notice (the licence asks for the notice in every copy).

ReportLab also reports the typographic ascender as cap height; :class:`FontMetrics` reads the
real values, which the renderer needs to centre a line and keep accents inside a rectangle.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from reportlab.pdfbase.ttfonts import TTFont, TTFontFace, TTFontFile

__all__ = ["FontMetrics", "LeanTTFont", "font_metrics", "lean_truetype"]

_DROP_TABLES = frozenset({"fpgm", "prep", "cvt ", "hdmx", "LTSH", "VDMX"})
# copyright, family, subfamily, unique id, full name, version, PostScript name,
# licence description, licence URL
_KEEP_NAME_IDS = frozenset({0, 1, 2, 3, 4, 5, 6, 13, 14})

_ARG_1_AND_2_ARE_WORDS = 0x0001
_WE_HAVE_A_SCALE = 0x0008
_MORE_COMPONENTS = 0x0020
_WE_HAVE_AN_X_AND_Y_SCALE = 0x0040
_WE_HAVE_A_TWO_BY_TWO = 0x0080
_WE_HAVE_INSTRUCTIONS = 0x0100


@dataclass(frozen=True)
class FontMetrics:
    """Vertical metrics as fractions of the font size."""

    ascender: float  # top of accented capitals (hhea)
    descender: float  # negative, bottom of descenders (hhea)
    cap_height: float


def _tables(ttf: bytes) -> dict[str, bytes]:
    (num_tables,) = struct.unpack_from(">H", ttf, 4)
    tables: dict[str, bytes] = {}
    for i in range(num_tables):
        tag, _checksum, offset, length = struct.unpack_from(">4sLLL", ttf, 12 + 16 * i)
        tables[tag.decode("latin-1")] = ttf[offset : offset + length]
    return tables


def _strip_glyph(glyph: bytes) -> bytes:
    if len(glyph) < 10:
        return glyph
    (contours,) = struct.unpack_from(">h", glyph, 0)
    if contours >= 0:
        at = 10 + 2 * contours
        (n_instr,) = struct.unpack_from(">H", glyph, at)
        return glyph[:at] + b"\0\0" + glyph[at + 2 + n_instr :]
    out = bytearray(glyph)
    at = 10
    flags = _MORE_COMPONENTS
    while flags & _MORE_COMPONENTS:
        (flags,) = struct.unpack_from(">H", out, at)
        struct.pack_into(">H", out, at, flags & ~_WE_HAVE_INSTRUCTIONS)
        at += 4 + (4 if flags & _ARG_1_AND_2_ARE_WORDS else 2)
        if flags & _WE_HAVE_A_SCALE:
            at += 2
        elif flags & _WE_HAVE_AN_X_AND_Y_SCALE:
            at += 4
        elif flags & _WE_HAVE_A_TWO_BY_TWO:
            at += 8
    return bytes(out[:at])


def _strip_glyf(glyf: bytes, loca: bytes, long_loca: bool) -> tuple[bytes, bytes, bool]:
    if long_loca:
        offsets = struct.unpack(f">{len(loca) // 4}L", loca)
    else:
        offsets = tuple(2 * o for o in struct.unpack(f">{len(loca) // 2}H", loca))
    parts: list[bytes] = []
    new_offsets = [0]
    pos = 0
    for start, end in pairwise(offsets):
        glyph = _strip_glyph(glyf[start:end]) if end > start else b""
        glyph += b"\0" * (-len(glyph) % 4)
        parts.append(glyph)
        pos += len(glyph)
        new_offsets.append(pos)
    if pos // 2 > 0xFFFF:
        return b"".join(parts), struct.pack(f">{len(new_offsets)}L", *new_offsets), True
    halves = [o // 2 for o in new_offsets]
    return b"".join(parts), struct.pack(f">{len(halves)}H", *halves), False


def _lean_name(name: bytes) -> bytes:
    _fmt, count, string_offset = struct.unpack_from(">HHH", name, 0)
    records: list[tuple[int, int, int, int, bytes]] = []
    for i in range(count):
        platform, encoding, language, name_id, length, offset = struct.unpack_from(
            ">6H", name, 6 + 12 * i
        )
        if platform == 3 and name_id in _KEEP_NAME_IDS:
            start = string_offset + offset
            records.append((platform, encoding, language, name_id, name[start : start + length]))
    header = struct.pack(">HHH", 0, len(records), 6 + 12 * len(records))
    directory = bytearray()
    strings = bytearray()
    for platform, encoding, language, name_id, text in records:
        directory += struct.pack(
            ">6H", platform, encoding, language, name_id, len(text), len(strings)
        )
        strings += text
    return header + bytes(directory) + bytes(strings)


def lean_truetype(ttf: bytes) -> bytes:
    """Return the font without hinting and with a short name table (see module docstring)."""
    tables = _tables(ttf)
    head = bytearray(tables["head"])
    (loca_format,) = struct.unpack_from(">h", head, 50)
    glyf, loca, long_loca = _strip_glyf(tables["glyf"], tables["loca"], loca_format == 1)
    struct.pack_into(">h", head, 50, 1 if long_loca else 0)
    tables.update(glyf=glyf, loca=loca, head=bytes(head))
    if "name" in tables:
        tables["name"] = _lean_name(tables["name"])
    return _assemble({tag: data for tag, data in tables.items() if tag not in _DROP_TABLES})


def _checksum(data: bytes) -> int:
    padded = data + b"\0" * (-len(data) % 4)
    words: tuple[int, ...] = struct.unpack(f">{len(padded) // 4}L", padded)
    return sum(words) & 0xFFFFFFFF


def _assemble(tables: dict[str, bytes]) -> bytes:
    """Write an sfnt file (tables sorted by tag, 4-byte aligned, checksums, head adjustment).

    ReportLab's TTFontMaker does the same with a pure-Python checksum that costs a
    quarter of a millisecond per subset; ``struct`` does it in microseconds.
    """
    tags = sorted(tables)
    count = len(tags)
    search = 1 << (count.bit_length() - 1)
    header = struct.pack(
        ">LHHHH", 0x00010000, count, search * 16, search.bit_length() - 1, count * 16 - search * 16
    )
    head = bytearray(tables["head"])
    head[8:12] = b"\0\0\0\0"
    tables = {**tables, "head": bytes(head)}
    directory = bytearray()
    body = bytearray()
    offset = 12 + 16 * count
    head_at = 0
    for tag in tags:
        data = tables[tag]
        if tag == "head":
            head_at = offset + len(body)
        directory += struct.pack(
            ">4sLLL", tag.encode("latin-1"), _checksum(data), offset + len(body), len(data)
        )
        body += data + b"\0" * (-len(data) % 4)
    font = bytearray(header + directory + body)
    adjustment = (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF
    struct.pack_into(">L", font, head_at + 8, adjustment)
    return bytes(font)


class _LeanTTFontFace(TTFontFace):  # type: ignore[misc]
    def makeSubset(self, subset: list[int]) -> bytes:
        return lean_truetype(super().makeSubset(subset))


class LeanTTFont(TTFont):  # type: ignore[misc]
    """A ReportLab TTFont whose embedded subsets are lean and hold only the glyphs used.

    ``asciiReadable`` is off: otherwise every subset carries all of printable ASCII.
    """

    def __init__(self, name: str, path: Path) -> None:
        super().__init__(name, str(path), asciiReadable=False)
        # TTFont builds its face itself; re-class it to get the lean subsetting (same data).
        self.face.__class__ = _LeanTTFontFace


def font_metrics(face: TTFontFile) -> FontMetrics:
    """Read ascender/descender (hhea) and cap height (OS/2 v2+) from a parsed font."""
    head = face.get_table("head")
    hhea = face.get_table("hhea")
    os2 = face.get_table("OS/2")
    (units,) = struct.unpack_from(">H", head, 18)
    ascender, descender = struct.unpack_from(">hh", hhea, 4)
    (version,) = struct.unpack_from(">H", os2, 0)
    cap = struct.unpack_from(">h", os2, 88)[0] if version >= 2 and len(os2) >= 90 else 0
    if cap <= 0:
        cap = round(0.72 * units)
    return FontMetrics(ascender / units, descender / units, cap / units)
