"""Write the per-request part of a permit PDF: values, QR code, font subsets, xref, trailer.

The template's objects are already bytes (see :mod:`template`). What a request adds is one
form XObject holding the drawn values and the QR path, plus the font subsets it uses: four
small objects per subset, the same ones ReportLab's canvas writes (TrueType font, descriptor,
``FontFile2``, ``ToUnicode``). Measured on the development machine (2 cores), the PDF work
of one permit, QR encoding aside, costs: a ReportLab overlay document merged with pypdf's
``merge_page`` about 40 ms (it parses and rewrites both content streams; see
``bench/pdf_render.py``), the same overlay appended to a pypdf clone of the template as a form
XObject about 7 ms, and writing the objects directly about 2.5 ms. Direct writing also leaves
nothing to clean up: no second page tree, no second /Info, no dates.

ReportLab still does the font work: code assignment (``TTFont.splitString``), metrics and
subsetting. Its per-document state is keyed by an object that lives only for one render.
"""

from __future__ import annotations

import hashlib
import threading
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, TTFont

from chalicelib.adapters.pdf.fonts import FontMetrics
from chalicelib.adapters.pdf.layout import PlacedLine

__all__ = ["FontSubsets", "PdfObjects", "number", "text_operators"]


def number(value: float) -> str:
    """Shortest fixed-point form PDF accepts (no exponent), 3 decimals at most."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _name(text: str) -> str:
    """A PDF name body: anything outside printable ASCII or a delimiter becomes #xx."""
    return "".join(
        ch if "!" <= ch <= "~" and ch not in "#()<>[]{}/%" else f"#{ord(ch):02X}"
        for ch in text.encode("utf-8").decode("latin-1")
    )


class _RenderKey:
    """ReportLab keeps per-document font state in a WeakKeyDictionary under this key."""


class FontSubsets:
    """Codes and subsets of one font for one document."""

    def __init__(
        self,
        font: TTFont,
        metrics: FontMetrics,
        file_lock: threading.Lock,
        resource_prefix: str = "V",
    ) -> None:
        self._font = font
        self._metrics = metrics
        self._key = _RenderKey()
        self._prefix = resource_prefix
        self._file_lock = file_lock

    def encode(self, text: str) -> list[tuple[str, bytes]]:
        """``(resource name, codes)`` chunks, one per subset run of the text."""
        return [
            (f"{self._prefix}{subset}", codes)
            for subset, codes in self._font.splitString(text, self._key)
        ]

    def _subsets(self) -> list[list[int]]:
        state = self._font.state.get(self._key)
        return [list(s) for s in state.subsets] if state is not None else []

    def write(self, objects: PdfObjects) -> dict[str, int]:
        """Add every used subset's objects; return resource name -> font object number."""
        face = self._font.face
        flags = (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC
        metrics = self._metrics
        names: dict[str, int] = {}
        for index, subset in enumerate(self._subsets()):
            digest = hashlib.sha256(face.name + repr(subset).encode()).digest()
            tag = "".join(chr(65 + b % 26) for b in digest[:6])
            base_font = _name(f"{tag}+{face.name.decode('latin-1')}")
            with self._file_lock:  # subsetting reads the font through one shared file position
                font_file = face.makeSubset(subset)
            file_number = objects.add_stream(
                zlib.compress(font_file, 6), f"/Length1 {len(font_file)} /Filter /FlateDecode"
            )
            descriptor = objects.add(
                f"<< /Type /FontDescriptor /FontName /{base_font} /Flags {flags}"
                f" /FontBBox [{' '.join(number(v) for v in face.bbox)}]"
                f" /ItalicAngle {number(face.italicAngle)}"
                f" /Ascent {number(metrics.ascender * 1000)}"
                f" /Descent {number(metrics.descender * 1000)}"
                f" /CapHeight {number(metrics.cap_height * 1000)}"
                f" /StemV {number(face.stemV)} /MissingWidth {number(face.defaultWidth)}"
                f" /FontFile2 {file_number} 0 R >>"
            )
            to_unicode = objects.add_stream(
                zlib.compress(_to_unicode_cmap(subset), 6), "/Filter /FlateDecode"
            )
            widths = " ".join(number(face.getCharWidth(code)) for code in subset)
            names[f"{self._prefix}{index}"] = objects.add(
                f"<< /Type /Font /Subtype /TrueType /BaseFont /{base_font}"
                f" /FirstChar 0 /LastChar {len(subset) - 1} /Widths [{widths}]"
                f" /FontDescriptor {descriptor} 0 R /ToUnicode {to_unicode} 0 R >>"
            )
        return names

    def close(self) -> None:
        self._font.state.pop(self._key, None)


def _utf16_hex(code_point: int) -> str:
    return chr(code_point).encode("utf-16-be", "surrogatepass").hex().upper()


def _to_unicode_cmap(subset: Sequence[int]) -> bytes:
    """Map each code to its character (UTF-16, so astral characters work too).

    Code 0 is .notdef and stays unmapped. ReportLab's own CMap writes 4 hex digits, which is
    wrong above U+FFFF.
    """
    pairs = [(code, cp) for code, cp in enumerate(subset) if code]
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<00> <FF>",
        "endcodespacerange",
    ]
    for start in range(0, len(pairs), 100):  # at most 100 entries per block
        block = pairs[start : start + 100]
        lines.append(f"{len(block)} beginbfchar")
        lines.extend(f"<{code:02X}> <{_utf16_hex(cp)}>" for code, cp in block)
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")


def text_operators(lines: Iterable[PlacedLine], fonts: FontSubsets) -> list[str]:
    """``BT ... ET`` blocks in black for the placed lines."""
    ops: list[str] = []
    for line in lines:
        size = number(line.size)
        parts = [f"BT {number(line.x)} {number(line.y)} Td"]
        for name, codes in fonts.encode(line.text):
            parts.append(f"/{name} {size} Tf <{codes.hex()}> Tj")
        parts.append("ET")
        ops.append(" ".join(parts))
    return ops


@dataclass
class PdfObjects:
    """Objects appended after the template's static prefix, numbered from ``first``."""

    first: int
    chunks: list[bytes]
    offsets: dict[int, int]
    _next: int
    _length: int

    @classmethod
    def after(cls, first: int, prefix_length: int) -> PdfObjects:
        return cls(first=first, chunks=[], offsets={}, _next=first, _length=prefix_length)

    def reserve(self) -> int:
        """Take the next object number now and fill it later with :meth:`put`."""
        number_ = self._next
        self._next += 1
        return number_

    def _emit(self, number_: int, body: bytes) -> None:
        self.offsets[number_] = self._length
        chunk = f"{number_} 0 obj\n".encode() + body + b"\nendobj\n"
        self.chunks.append(chunk)
        self._length += len(chunk)

    def add(self, dictionary: str) -> int:
        number_ = self.reserve()
        self._emit(number_, dictionary.encode("latin-1"))
        return number_

    def put(self, number_: int, dictionary: str, stream: bytes | None = None) -> None:
        body = dictionary.encode("latin-1")
        if stream is not None:
            body += b"\nstream\n" + stream + b"\nendstream"
        self._emit(number_, body)

    def add_stream(self, data: bytes, entries: str = "") -> int:
        number_ = self.reserve()
        self.put(number_, f"<< /Length {len(data)} {entries} >>".replace("  ", " "), data)
        return number_

    @property
    def size(self) -> int:
        return self._next

    def finish(self, static_offsets: dict[int, int], root: int, info: int, file_id: bytes) -> bytes:
        """Cross-reference table and trailer; every unused number goes on the free list."""
        offsets = {**static_offsets, **self.offsets}
        size = self._next
        free = [n for n in range(1, size) if n not in offsets]
        next_free = dict(zip([0, *free], [*free, 0], strict=True))
        rows = [f"{next_free[0]:010d} 65535 f \n"]
        for n in range(1, size):
            if n in offsets:
                rows.append(f"{offsets[n]:010d} 00000 n \n")
            else:
                rows.append(f"{next_free[n]:010d} 00001 f \n")
        ident = file_id.hex().upper()
        tail = (
            f"xref\n0 {size}\n{''.join(rows)}"
            f"trailer\n<< /Size {size} /Root {root} 0 R /Info {info} 0 R"
            f" /ID [<{ident}> <{ident}>] >>\nstartxref\n{self._length}\n%%EOF\n"
        )
        return b"".join(self.chunks) + tail.encode("ascii")
