"""The permit PDF renderer: values and QR code drawn into a template's placeholders.

Per process, each template is parsed once and the font once (both take tens of
milliseconds); a render then only lays out the values, encodes the QR code and writes the
per-request objects behind the template's precomputed bytes (see :mod:`template` and
:mod:`pdfwrite` for why). The same inputs always give the same bytes: the file /ID is a hash
of the inputs and there is no date anywhere.
"""

from __future__ import annotations

import hashlib
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from chalicelib.adapters.pdf.fonts import FontMetrics, LeanTTFont, font_metrics
from chalicelib.adapters.pdf.layout import (
    PlacedLine,
    TextDoesNotFitError,
    fit_lines,
    split_value,
)
from chalicelib.adapters.pdf.pdfwrite import FontSubsets, PdfObjects, number, text_operators
from chalicelib.adapters.pdf.qr import QUIET_ZONE, encode_qr
from chalicelib.adapters.pdf.qr_path import qr_path_operators
from chalicelib.adapters.pdf.template import FieldBox, Template, load_template

__all__ = ["DEFAULT_FONT", "QR_FIELD", "PdfTemplateRenderer"]

DEFAULT_FONT = Path("fonts") / "DejaVuSans-Bold.ttf"  # relative to the templates folder
QR_FIELD = "qr"


@dataclass(frozen=True)
class _Font:
    font: LeanTTFont
    metrics: FontMetrics
    digest: bytes
    charset: frozenset[int]
    file_lock: threading.Lock

    def width_at_1pt(self, text: str) -> float:
        return float(self.font.stringWidth(text, 1.0))


@lru_cache(maxsize=4)
def _load_font(path: Path) -> _Font:
    """Parse a TTF once per process (about 60 ms for DejaVu Sans)."""
    data = path.read_bytes()
    font = LeanTTFont(f"PermitValues-{hashlib.sha256(data).hexdigest()[:12]}", path)
    return _Font(
        font=font,
        metrics=font_metrics(font.face),
        digest=hashlib.sha256(data).digest(),
        charset=frozenset(font.face.charToGlyph),
        file_lock=threading.Lock(),
    )


class PdfTemplateRenderer:
    """:class:`chalicelib.services.ports.DocumentRenderer` for PDF templates.

    ``fields`` maps placeholder names to text ("\\n" separates lines). Names the template
    lacks are ignored and placeholders without a value stay empty, so one data mapping can
    serve several templates; :meth:`placeholder_names` lets a check compare the two.
    """

    def __init__(self, templates_dir: Path, font_path: Path | None = None) -> None:
        self._templates_dir = Path(templates_dir)
        # Resolved once: form checks measure thousands of texts on a cold start, and a
        # realpath per measurement cost more than the measuring (0.8 s of a cold submit).
        font = Path(font_path) if font_path else self._templates_dir / DEFAULT_FONT
        self._font_path = font.resolve()
        self._templates: dict[str, Template] = {}
        self._lock = threading.Lock()

    # -- templates and font, loaded once ------------------------------------------------

    def _template(self, name: str) -> Template:
        cached = self._templates.get(name)
        if cached is not None:
            return cached
        if (
            not name
            or name != Path(name).name
            or "/" in name
            or "\\" in name
            or ".." in name
            or name.startswith(".")
        ):
            raise ValueError(f"template must be a plain file name, got {name!r}")
        path = self._templates_dir / name
        if not path.is_file():
            raise ValueError(f"unknown template {name!r} in {self._templates_dir}")
        with self._lock:
            cached = self._templates.get(name)
            if cached is None:
                cached = load_template(path.read_bytes())
                self._templates[name] = cached
        return cached

    def _font(self) -> _Font:
        return _load_font(self._font_path)

    def placeholder_names(self, template: str) -> frozenset[str]:
        """Every placeholder (fully qualified field name) in the template, ``qr`` included."""
        return frozenset(self._template(template).fields)

    def unsupported_characters(self, text: str) -> frozenset[str]:
        """Characters the embedded font cannot draw (forms can reject them up front)."""
        charset = self._font().charset
        return frozenset(ch for ch in text if ch not in "\n\r\u00a0" and ord(ch) not in charset)

    def text_width(self, text: str) -> float:
        """Width of ``text`` at 1 pt in the embedded font (for checks that size values)."""
        return self._font().width_at_1pt(text)

    def place(self, template: str, fields: Mapping[str, str]) -> dict[str, list[PlacedLine]]:
        """Where each value would be drawn, by placeholder; raises TextDoesNotFitError."""
        tpl = self._template(template)
        font = self._font()
        return {
            name: self._place(tpl, font, {name: value})
            for name, value in fields.items()
            if name in tpl.fields and name != QR_FIELD
        }

    @staticmethod
    def _place(tpl: Template, font: _Font, fields: Mapping[str, str]) -> list[PlacedLine]:
        placed: list[PlacedLine] = []
        for name, boxes in tpl.fields.items():
            if name == QR_FIELD or name not in fields:
                continue
            lines = split_value(fields[name])
            for box in boxes:
                try:
                    placed.extend(
                        fit_lines(
                            lines,
                            _rect(box),
                            box.max_size,
                            box.align,
                            font.width_at_1pt,
                            font.metrics,
                            wrap=box.wrap,
                        )
                    )
                except TextDoesNotFitError as error:
                    raise TextDoesNotFitError(f"field {name!r}: {error}") from error
        return placed

    # -- rendering ---------------------------------------------------------------------

    def render(self, template: str, fields: Mapping[str, str], qr_content: str) -> bytes:
        """Fill the template's placeholders and QR rectangle; same inputs, same bytes."""
        tpl = self._template(template)
        font = self._font()
        for name, value in fields.items():
            missing = self.unsupported_characters(value) if name in tpl.fields else frozenset()
            if missing:
                shown = ", ".join(f"U+{ord(ch):04X}" for ch in sorted(missing))
                raise ValueError(f"field {name!r} has characters the font lacks: {shown}")

        placed = self._place(tpl, font, fields)

        subsets = FontSubsets(font.font, font.metrics, font.file_lock)
        try:
            ops = ["0 g", *text_operators(placed, subsets)]
            qr_ops = self._qr_operators(tpl, qr_content)
            objects = PdfObjects.after(tpl.overlay, len(tpl.prefix))
            form = objects.reserve()
            font_refs = subsets.write(objects)
        finally:
            subsets.close()

        content = zlib.compress("\n".join(ops).encode("ascii") + b"\n" + qr_ops, 6)
        fonts = " ".join(f"/{name} {ref} 0 R" for name, ref in font_refs.items())
        bbox = " ".join(number(v) for v in tpl.media_box)
        objects.put(
            form,
            f"<< /Type /XObject /Subtype /Form /BBox [{bbox}]"
            f" /Resources << /Font << {fonts} >> /ProcSet [/PDF /Text] >>"
            f" /Length {len(content)} /Filter /FlateDecode >>",
            content,
        )
        file_id = _file_id(tpl, font, fields, qr_content)
        return tpl.prefix + objects.finish(tpl.offsets, tpl.root, tpl.info, file_id)

    @staticmethod
    def _qr_operators(tpl: Template, qr_content: str) -> bytes:
        boxes = tpl.fields.get(QR_FIELD)
        if not boxes:
            raise ValueError(f"template has no {QR_FIELD!r} placeholder for the QR code")
        qr = encode_qr(qr_content)
        out = []
        for box in boxes:  # a square in the middle of the rectangle
            side = min(box.x1 - box.x0, box.y1 - box.y0)
            x = box.x0 + (box.x1 - box.x0 - side) / 2
            y = box.y0 + (box.y1 - box.y0 - side) / 2
            out.append(qr_path_operators(qr.modules, QUIET_ZONE, x, y, side))
        return b"".join(out)


def _rect(box: FieldBox) -> tuple[float, float, float, float]:
    return (box.x0, box.y0, box.x1, box.y1)


def _file_id(tpl: Template, font: _Font, fields: Mapping[str, str], qr_content: str) -> bytes:
    """Same inputs, same /ID; any difference in template, font or data gives another."""
    digest = hashlib.sha256()
    digest.update(tpl.digest)
    digest.update(font.digest)
    for name in sorted(fields):
        digest.update(name.encode("utf-8") + b"\0" + fields[name].encode("utf-8") + b"\0")
    digest.update(b"\1" + qr_content.encode("utf-8"))
    return digest.digest()[:16]
