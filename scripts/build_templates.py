"""`make templates`: build every permit template PDF from its description as data.

A template is described in ``pdf_templates/<name>.json`` (checked against
``pdf_templates/_meta/template.schema.json``): the page's regions (the permit to cut out,
the part the citizen keeps), and in each region its fixed texts in German and English,
lines, frames, flowing paragraphs and numbered steps, and the placeholder fields with their
rectangles, largest font size, alignment and whether a long value may wrap. Positions are
in mm from the region's top-left corner; a text's ``top`` is its baseline.

This one generic command turns every description into ``pdf_templates/<name>.pdf``, byte
for byte the same on every run (a test compares the committed files with a fresh build).
The renderer reads only the PDF: a template made in any PDF editor works just as well, as
long as its form fields are named after the data paths (``permit.zone``), their rectangles
say where a value goes, the optional font size in the field's ``/DA`` caps the size, ``/Q``
aligns and the "multiline" flag lets a value wrap.

Static text is drawn by ReportLab with DejaVu Sans (embedded as a subset); the form fields
are added with pypdf as a proper field hierarchy (``permit`` -> ``zone``), because
ReportLab's own form fields are flat and limited to the standard fonts. No fixed text is
smaller than the renderer's minimum size (7 pt).

Run: ``.venv/bin/python -m scripts.build_templates`` (``--check`` compares with the files).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "pdf_templates"
META_SCHEMA = TEMPLATES_DIR / "_meta" / "template.schema.json"
FONT_REGULAR = TEMPLATES_DIR / "fonts" / "DejaVuSans.ttf"
FONT_BOLD = TEMPLATES_DIR / "fonts" / "DejaVuSans-Bold.ttf"

MM = 72.0 / 25.4
PAGE_W = 595.2756  # A4 in points
PAGE_H = 841.8898
MIN_TEXT_SIZE = 7.0  # the renderer's MIN_FONT_SIZE; fixed texts obey it too

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
FONTS = {"regular": REGULAR, "bold": BOLD}
COLOURS = {"ink": (0.0, 0.0, 0.0), "muted": (0.33, 0.33, 0.33), "rule": (0.7, 0.7, 0.7)}
ALIGN = {"left": 0, "centre": 1, "right": 2}
LANGUAGE_JOIN = " · "

__all__ = [
    "PAGE_H",
    "PAGE_W",
    "TEMPLATES_DIR",
    "FieldBox",
    "TemplateSpecError",
    "build",
    "draw_static",
    "field_boxes",
    "load_spec",
    "register_fonts",
    "spec_paths",
]


class TemplateSpecError(ValueError):
    """A template description that cannot be built; names the file and the JSON pointer."""

    def __init__(self, file: Path, pointer: str, problem: str) -> None:
        super().__init__(f"{file.name}: at '{pointer or '/'}': {problem}")
        self.file = file
        self.pointer = pointer


@dataclass(frozen=True)
class FieldBox:
    """One widget: a value's place on the page, in mm from the top-left page corner."""

    name: str
    x: float
    top: float
    w: float
    h: float
    max_size: float = 0.0  # 0 = as large as the rectangle allows
    align: int = 0
    wrap: bool = False

    def rect(self) -> tuple[float, float, float, float]:
        """PDF rectangle (points, origin bottom-left)."""
        return (
            round(self.x * MM, 2),
            round(PAGE_H - (self.top + self.h) * MM, 2),
            round((self.x + self.w) * MM, 2),
            round(PAGE_H - self.top * MM, 2),
        )


def spec_paths(templates_dir: Path = TEMPLATES_DIR) -> list[Path]:
    return sorted(templates_dir.glob("*.json"))


def load_spec(path: Path) -> dict[str, Any]:
    """Read and check a description: the meta-schema, then what JSON Schema cannot say."""
    from jsonschema import Draft202012Validator

    try:
        spec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TemplateSpecError(path, "", f"not UTF-8 JSON: {error}") from error
    meta = json.loads(META_SCHEMA.read_text(encoding="utf-8"))
    problems = sorted(Draft202012Validator(meta).iter_errors(spec), key=lambda e: list(e.path))
    if problems:
        first = problems[0]
        pointer = "".join(f"/{part}" for part in first.absolute_path)
        raise TemplateSpecError(path, pointer, first.message)
    for pointer, element in _elements(spec):
        size = element.get("size")
        if size is not None and size < MIN_TEXT_SIZE:
            raise TemplateSpecError(
                path, f"{pointer}/size", f"{size} pt is below the minimum of {MIN_TEXT_SIZE:g} pt"
            )
    names = [box.name for box in field_boxes(spec)]
    if "qr" not in names:
        raise TemplateSpecError(path, "/regions", "a permit template needs a 'qr' field")
    return spec


def _elements(spec: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for r, region in enumerate(spec["regions"]):
        for e, element in enumerate(region["elements"]):
            pointer = f"/regions/{r}/elements/{e}"
            yield pointer, element
            for i, item in enumerate(element.get("items", ())):
                yield f"{pointer}/items/{i}", item


def field_boxes(spec: Mapping[str, Any]) -> list[FieldBox]:
    """Every placeholder widget of a description, in page coordinates."""
    boxes = []
    for region in spec["regions"]:
        for element in region["elements"]:
            if element["type"] != "field":
                continue
            boxes.append(
                FieldBox(
                    name=element["name"],
                    x=region["x"] + element["x"],
                    top=region["top"] + element["top"],
                    w=element["w"],
                    h=element["h"],
                    max_size=float(element.get("max_size", 0)),
                    align=ALIGN[element.get("align", "left")],
                    wrap=bool(element.get("wrap", False)),
                )
            )
    return boxes


def register_fonts() -> None:
    """Register DejaVu Sans (regular, bold) with ReportLab once per process."""
    from reportlab.pdfbase import pdfmetrics

    from chalicelib.adapters.pdf.fonts import LeanTTFont

    registered = pdfmetrics.getRegisteredFontNames()
    if REGULAR not in registered:
        pdfmetrics.registerFont(LeanTTFont(REGULAR, FONT_REGULAR))
    if BOLD not in registered:
        pdfmetrics.registerFont(LeanTTFont(BOLD, FONT_BOLD))


def _y(top_mm: float) -> float:
    return PAGE_H - top_mm * MM


def _joined(text: Mapping[str, str]) -> str:
    return LANGUAGE_JOIN.join(text[lang] for lang in ("de", "en") if lang in text)


class _Drawer:
    """Draws one region's elements on a ReportLab canvas; positions relative to the region."""

    def __init__(self, canvas: Any, region: Mapping[str, Any]) -> None:
        self.c = canvas
        self.x0 = float(region["x"])
        self.top0 = float(region["top"])

    def text(
        self, x: float, top: float, text: str, font: str, size: float, colour: str, align: str
    ) -> None:
        c = self.c
        c.setFillColorRGB(*COLOURS[colour])
        c.setFont(FONTS[font], size)
        px, py = (self.x0 + x) * MM, _y(self.top0 + top)
        if align == "centre":
            c.drawCentredString(px, py, text)
        elif align == "right":
            c.drawRightString(px, py, text)
        else:
            c.drawString(px, py, text)

    def paragraph(
        self, x: float, top: float, width: float, text: str, font: str, size: float,
        leading: float, colour: str,
    ) -> float:  # fmt: skip
        """Wrapped text; returns the baseline (mm, region-relative) after the last line."""
        from reportlab.lib.utils import simpleSplit

        for line in simpleSplit(text, FONTS[font], size, width * MM):
            self.text(x, top, line, font, size, colour, "left")
            top += leading
        return top

    def element(self, element: Mapping[str, Any]) -> None:
        kind = element["type"]
        if kind == "text":
            self.text(
                element["x"], element["top"], _joined(element["text"]),
                element.get("font", "regular"), element["size"],
                element.get("colour", "ink"), element.get("align", "left"),
            )  # fmt: skip
        elif kind == "paragraph":
            self._bilingual(element, element["x"], element["top"], element["w"])
        elif kind == "line":
            self.c.setStrokeColorRGB(*COLOURS[element.get("colour", "rule")])
            self.c.setLineWidth(element.get("width", 0.5))
            self.c.line(
                (self.x0 + element["x"]) * MM, _y(self.top0 + element["top"]),
                (self.x0 + element["x2"]) * MM, _y(self.top0 + element.get("top2", element["top"])),
            )  # fmt: skip
        elif kind == "frame":
            self.c.setStrokeColorRGB(*COLOURS[element.get("colour", "ink")])
            self.c.setLineWidth(element.get("width", 1.0))
            self.c.roundRect(
                (self.x0 + element["x"]) * MM, _y(self.top0 + element["top"] + element["h"]),
                element["w"] * MM, element["h"] * MM, element.get("radius", 0) * MM,
                stroke=1, fill=0,
            )  # fmt: skip
        elif kind == "flow":
            self._flow(element)
        # "field": placeholders are added as form fields after the page is drawn

    def _bilingual(self, element: Mapping[str, Any], x: float, top: float, width: float) -> float:
        """German text, then (muted, smaller) English; returns the next baseline."""
        text = element["text"]
        size = element.get("size", 8)
        leading = element.get("leading", size * 0.42)
        colour = element.get("colour", "ink")
        font = element.get("font", "regular")
        if "de" in text:
            top = self.paragraph(x, top, width, text["de"], font, size, leading, colour)
        if "en" in text:
            en_size = element.get("en_size", max(MIN_TEXT_SIZE, size - 0.5))
            en_leading = element.get("en_leading", leading - 0.2)
            top = self.paragraph(x, top, width, text["en"], font, en_size, en_leading, "muted")
        return top

    def _flow(self, element: Mapping[str, Any]) -> None:
        """Headings, paragraphs and numbered steps stacked from ``top`` down."""
        x, top, width = element["x"], element["top"], element["w"]
        for item in element["items"]:
            top += item.get("space_before", 0)
            if item["type"] == "heading":
                self.text(
                    x, top, _joined(item["text"]), "bold", item.get("size", 9.5), "ink", "left"
                )
                top += item.get("space_after", 4.4)
            elif item["type"] == "paragraph":
                top = self._bilingual(item, x, top, width)
            else:  # steps
                indent = item.get("indent", 5)
                for number, step in enumerate(item["steps"], start=1):
                    self.text(x, top, f"{number}.", "bold", item.get("size", 8), "ink", "left")
                    top = self._bilingual({**item, "text": step}, x + indent, top, width - indent)
                    top += item.get("gap", 1.0)
        if top > element["bottom"]:
            raise ValueError(f"flow runs past its bottom ({top:.1f} mm > {element['bottom']} mm)")


def _draw_cut_guide(c: Any, region: Mapping[str, Any]) -> None:
    x, top, w, h = region["x"], region["top"], region["w"], region["h"]
    muted = COLOURS["muted"]
    c.saveState()
    c.setDash(4, 3)
    c.setLineWidth(0.7)
    c.setStrokeColorRGB(*muted)
    c.rect(x * MM, _y(top + h), w * MM, h * MM, stroke=1, fill=0)
    c.restoreState()
    # Scissors sit on the dashed line, on a white patch so that the line stops there.
    for x_mm, top_mm in ((x + 10.0, top), (x + 10.0, top + h)):
        c.setFillColorRGB(1, 1, 1)
        c.rect((x_mm - 3.2) * MM, _y(top_mm + 2.2), 6.4 * MM, 4.4 * MM, stroke=0, fill=1)
        c.setFillColorRGB(*muted)
        c.setFont(REGULAR, 13)
        c.drawCentredString(x_mm * MM, _y(top_mm + 1.6), "\u2702")
    c.setFillColorRGB(*muted)
    c.setFont(REGULAR, MIN_TEXT_SIZE)
    c.drawString((x + 16.0) * MM, _y(top - 1.8), _joined(region["cut_out"]))


def draw_static(c: Any, spec: Mapping[str, Any]) -> None:
    """Everything on the page that does not depend on the permit (also used by the bench)."""
    for region in spec["regions"]:
        if "cut_out" in region:
            _draw_cut_guide(c, region)
        drawer = _Drawer(c, region)
        for element in region["elements"]:
            drawer.element(element)


def static_page_pdf(spec: Mapping[str, Any]) -> bytes:
    """The page without form fields, deterministic thanks to ReportLab's ``invariant``."""
    from reportlab.pdfgen.canvas import Canvas

    register_fonts()
    buf = BytesIO()
    # The initial font is what ReportLab selects at the top of the page; the default,
    # Helvetica, would stay in the resources as an unembedded font.
    c = Canvas(
        buf,
        pagesize=(PAGE_W, PAGE_H),
        invariant=1,
        pageCompression=1,
        initialFontName=REGULAR,
        initialFontSize=8,
    )
    c.setTitle(spec["title"])
    draw_static(c, spec)
    c.showPage()
    c.save()
    return buf.getvalue()


def _field_tree(boxes: Iterable[FieldBox]) -> dict[str, list[FieldBox]]:
    grouped: dict[str, list[FieldBox]] = {}
    for box in boxes:
        grouped.setdefault(box.name, []).append(box)
    return grouped


def add_form_fields(page_pdf: bytes, boxes: Iterable[FieldBox], title: str) -> bytes:
    """Add the placeholder fields as a PDF field hierarchy and write deterministic bytes.

    A period may not appear in a partial field name (ISO 32000-1, 12.7.3.2), so
    ``permit.zone`` becomes a field ``zone`` under a parent ``permit``, which is also what a
    PDF editor produces when you type the dotted name.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import (
        ArrayObject,
        BooleanObject,
        ByteStringObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    from chalicelib.adapters.pdf.template import MULTILINE_FLAG

    writer = PdfWriter(clone_from=PdfReader(BytesIO(page_pdf)))
    page = writer.pages[0]
    page_ref = page.indirect_reference
    annots = ArrayObject()
    parents: dict[str, Any] = {}
    top_level = ArrayObject()

    def parent_ref(path: tuple[str, ...]) -> Any:
        key = ".".join(path)
        if key not in parents:
            node = DictionaryObject(
                {NameObject("/T"): TextStringObject(path[-1]), NameObject("/Kids"): ArrayObject()}
            )
            ref = writer._add_object(node)
            if len(path) > 1:
                up = parent_ref(path[:-1])
                node[NameObject("/Parent")] = up
                up.get_object()["/Kids"].append(ref)
            else:
                top_level.append(ref)
            parents[key] = ref
        return parents[key]

    def widget(box: FieldBox) -> DictionaryObject:
        return DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Widget"),
                NameObject("/Rect"): ArrayObject(FloatObject(v) for v in box.rect()),
                NameObject("/F"): NumberObject(4),
                NameObject("/P"): page_ref,
                NameObject("/MK"): DictionaryObject(
                    {
                        NameObject("/BC"): ArrayObject(
                            [FloatObject(0.2), FloatObject(0.4), FloatObject(1)]
                        ),
                    }
                ),
            }
        )

    def text_keys(target: DictionaryObject, box: FieldBox) -> None:
        target[NameObject("/DA")] = TextStringObject(f"/Helv {box.max_size:g} Tf 0 g")
        target[NameObject("/Q")] = NumberObject(box.align)
        target[NameObject("/Ff")] = NumberObject(MULTILINE_FLAG if box.wrap else 0)

    for name, group in _field_tree(boxes).items():
        path = tuple(name.split("."))
        field = DictionaryObject({NameObject("/T"): TextStringObject(path[-1])})
        first = group[0]
        if name == "qr":  # an image slot: a push button, as PDF editors make them
            field[NameObject("/FT")] = NameObject("/Btn")
            field[NameObject("/Ff")] = NumberObject(1 << 16)
        else:
            field[NameObject("/FT")] = NameObject("/Tx")
            text_keys(field, first)
        if len(group) == 1:
            field.update(widget(first))
            field_ref = writer._add_object(field)
            annots.append(field_ref)
        else:
            kids = ArrayObject()
            field[NameObject("/Kids")] = kids
            field_ref = writer._add_object(field)
            for box in group:
                kid = widget(box)
                kid[NameObject("/Parent")] = field_ref
                same = (box.max_size, box.align, box.wrap) == (
                    first.max_size,
                    first.align,
                    first.wrap,
                )
                if not same:
                    text_keys(kid, box)
                kid_ref = writer._add_object(kid)
                kids.append(kid_ref)
                annots.append(kid_ref)
        if len(path) > 1:
            up = parent_ref(path[:-1])
            field[NameObject("/Parent")] = up
            up.get_object()["/Kids"].append(field_ref)
        else:
            top_level.append(field_ref)

    page[NameObject("/Annots")] = annots
    helv = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )
    )
    writer.root_object[NameObject("/AcroForm")] = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Fields"): top_level,
                NameObject("/DA"): TextStringObject("/Helv 0 Tf 0 g"),
                NameObject("/DR"): DictionaryObject(
                    {
                        NameObject("/Font"): DictionaryObject({NameObject("/Helv"): helv}),
                    }
                ),
                NameObject("/NeedAppearances"): BooleanObject(True),
            }
        )
    )
    writer.metadata = {"/Title": title, "/Producer": "permit-service"}
    digest = hashlib.sha256(page_pdf).digest()[:16]
    writer._ID = ArrayObject([ByteStringObject(digest), ByteStringObject(digest)])
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def build(spec: Mapping[str, Any]) -> bytes:
    return add_form_fields(static_page_pdf(spec), field_boxes(spec), spec["title"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if a committed template differs from a fresh build",
    )
    parser.add_argument("--dir", type=Path, default=TEMPLATES_DIR)
    args = parser.parse_args(argv)
    status = 0
    for path in spec_paths(args.dir):
        try:
            data = build(load_spec(path))
        except (TemplateSpecError, ValueError) as error:
            print(f"TEMPLATE ERROR {error}", file=sys.stderr)
            status = 1
            continue
        out = path.with_suffix(".pdf")
        if args.check:
            same = out.exists() and out.read_bytes() == data
            print(f"{out.name}: {'up to date' if same else 'DIFFERS from a fresh build'}")
            status |= 0 if same else 1
        else:
            out.write_bytes(data)
            print(
                f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out} ({len(data)} bytes)"
            )
    return status


if __name__ == "__main__":
    sys.exit(main())
