"""Build ``pdf_templates/resident-parking-permit.pdf``, byte for byte the same on every run.

The committed template is what the renderer reads; this script only exists so that the layout
can be reviewed as code and regenerated after a change (a test compares the bytes). Any PDF
editor could produce an equivalent file: the renderer relies only on the form fields, whose
fully qualified names are data paths (``permit.zone``) and whose rectangles say where a value
goes. The optional font size in a field's ``/DA`` is the largest size the renderer may use and
``/Q`` its alignment, as in any PDF form.

Static text is drawn by ReportLab with DejaVu Sans (embedded as a subset); the form fields are
added afterwards with pypdf as a proper field hierarchy (``permit`` -> ``zone``), because
ReportLab's own form fields are flat, one widget per name and limited to the standard fonts.

Run: ``.venv/bin/python -m scripts.make_pdf_template`` (``--check`` compares with the file).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "pdf_templates"
TEMPLATE_NAME = "resident-parking-permit.pdf"
FONT_REGULAR = TEMPLATES_DIR / "fonts" / "DejaVuSans.ttf"
FONT_BOLD = TEMPLATES_DIR / "fonts" / "DejaVuSans-Bold.ttf"

MM = 72.0 / 25.4
PAGE_W = 595.2756  # A4 in points
PAGE_H = 841.8898

# Page area of the cut-out permit, in mm from the page's top-left corner.
CARD_X, CARD_TOP, CARD_W, CARD_H = 15.0, 16.0, 180.0, 106.0

TITLE = "Bewohnerparkausweis"
REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
INK = (0.0, 0.0, 0.0)
MUTED = (0.33, 0.33, 0.33)
RULE = (0.7, 0.7, 0.7)

ALIGN_LEFT, ALIGN_CENTRE, ALIGN_RIGHT = 0, 1, 2


@dataclass(frozen=True)
class FieldBox:
    """One widget: a value's place on the page, in mm from the top-left page corner."""

    name: str
    x: float
    top: float
    w: float
    h: float
    max_size: float = 0.0  # 0 = as large as the rectangle allows
    align: int = ALIGN_LEFT

    def rect(self) -> tuple[float, float, float, float]:
        """PDF rectangle (points, origin bottom-left)."""
        return (
            round(self.x * MM, 2),
            round(PAGE_H - (self.top + self.h) * MM, 2),
            round((self.x + self.w) * MM, 2),
            round(PAGE_H - self.top * MM, 2),
        )


def _card(
    name: str, x: float, top: float, w: float, h: float, size: float = 0.0, align: int = ALIGN_LEFT
) -> FieldBox:
    return FieldBox(name, CARD_X + x, CARD_TOP + top, w, h, size, align)


QR_BOX = _card("qr", 120.0, 21.0, 54.0, 54.0)

# Several widgets may share a name: the value is then drawn in each of them.
FIELDS: tuple[FieldBox, ...] = (
    # The cut-out permit: read through a windscreen, so large; no name or address here.
    _card("authority.name", 100.0, 6.5, 74.0, 9.0, 8.5, ALIGN_RIGHT),
    _card("permit.zone", 8.0, 27.0, 34.0, 34.0, 0.0, ALIGN_CENTRE),
    _card("vehicle.plates", 51.5, 27.0, 63.0, 25.0, 34.0, ALIGN_CENTRE),
    _card("permit.valid_until", 50.0, 60.0, 66.0, 11.5, 26.0),
    _card("permit.number", 6.0, 70.0, 38.0, 6.0, 11.0),
    _card("permit.valid_from", 6.0, 82.0, 38.0, 6.0, 11.0),
    QR_BOX,
    # The part the citizen keeps.
    FieldBox("applicant.name", 68.0, 145.0, 127.0, 6.0, 10.5),
    FieldBox("address.line1", 68.0, 151.5, 127.0, 6.0, 10.5),
    FieldBox("address.line2", 68.0, 157.5, 127.0, 6.0, 10.5),
    FieldBox("vehicle.plates", 68.0, 165.0, 127.0, 9.5, 10.5),
    FieldBox("permit.zone", 68.0, 176.0, 40.0, 6.0, 10.5),
    FieldBox("permit.valid_from", 68.0, 183.5, 28.0, 6.0, 10.5),
    FieldBox("permit.valid_until", 102.0, 183.5, 40.0, 6.0, 10.5),
    FieldBox("permit.number", 68.0, 191.0, 127.0, 6.0, 10.5),
    FieldBox("authority.name", 68.0, 198.5, 127.0, 6.0, 10.5),
)

PLACEHOLDERS: frozenset[str] = frozenset(f.name for f in FIELDS)

ALLOWS_DE = (
    "Sie dürfen die eingetragenen Fahrzeuge in der angegebenen Zone dort parken, wo das "
    "Zusatzzeichen „Bewohner mit Parkausweis … frei“ steht – ohne Parkschein und ohne "
    "Höchstparkdauer. Der Ausweis gilt nur für die eingetragenen Kennzeichen im angegebenen "
    "Zeitraum; einen Anspruch auf einen freien Parkplatz gibt er nicht."
)
ALLOWS_EN = (
    "Park the vehicles shown in this zone wherever signs exempt residents with a permit: "
    "no ticket, no time limit. Only for these plates and dates; a space is not guaranteed."
)
HOW_TO: tuple[tuple[str, str], ...] = (
    (
        "Oberen Teil ausschneiden und gut lesbar hinter die Windschutzscheibe legen; "
        "den QR-Code nicht knicken, verdecken oder beschriften.",
        "Cut out the top part and lay it behind the windscreen, readable from outside.",
    ),
    (
        "Neu ausdrucken: jederzeit über Ihren persönlichen Link aus der Bestätigungs-E-Mail. "
        "Geben Sie den Link nicht weiter.",
        "Reprint it any time from your private link; do not share the link.",
    ),
    (
        "Neues Kennzeichen oder Umzug? Bitte sofort melden: Sie erhalten einen neuen Ausweis, "
        "der bisherige wird ungültig.",
        "Report a new plate or address at once; you get a new permit, this one becomes invalid.",
    ),
    (
        "Die Parkraumüberwachung prüft den QR-Code. Er enthält nur Ausweisnummer, Zone, "
        "Gültigkeit und Kennzeichen – keinen Namen, keine Anschrift.",
        "Enforcement scans the QR code; it holds no name or address.",
    ),
)


def _y(top_mm: float) -> float:
    return PAGE_H - top_mm * MM


def register_fonts() -> None:
    """Register DejaVu Sans (regular, bold) with ReportLab once per process."""
    from reportlab.pdfbase import pdfmetrics

    from chalicelib.adapters.pdf.fonts import LeanTTFont

    registered = pdfmetrics.getRegisteredFontNames()
    if REGULAR not in registered:
        pdfmetrics.registerFont(LeanTTFont(REGULAR, FONT_REGULAR))
    if BOLD not in registered:
        pdfmetrics.registerFont(LeanTTFont(BOLD, FONT_BOLD))


def _text(
    c: Any,
    x_mm: float,
    base_mm: float,
    text: str,
    font: str,
    size: float,
    color: tuple[float, float, float] = INK,
    align: int = ALIGN_LEFT,
) -> None:
    c.setFillColorRGB(*color)
    c.setFont(font, size)
    x, y = x_mm * MM, _y(base_mm)
    if align == ALIGN_CENTRE:
        c.drawCentredString(x, y, text)
    elif align == ALIGN_RIGHT:
        c.drawRightString(x, y, text)
    else:
        c.drawString(x, y, text)


def _paragraph(
    c: Any,
    x_mm: float,
    base_mm: float,
    width_mm: float,
    text: str,
    font: str,
    size: float,
    leading_mm: float,
    color: tuple[float, float, float] = INK,
) -> float:
    """Draw wrapped text; return the baseline (mm) after the last line."""
    from reportlab.lib.utils import simpleSplit

    for line in simpleSplit(text, font, size, width_mm * MM):
        _text(c, x_mm, base_mm, line, font, size, color)
        base_mm += leading_mm
    return base_mm


def _line(
    c: Any,
    x1: float,
    top1: float,
    x2: float,
    top2: float,
    width: float,
    color: tuple[float, float, float] = RULE,
) -> None:
    c.setStrokeColorRGB(*color)
    c.setLineWidth(width)
    c.line(x1 * MM, _y(top1), x2 * MM, _y(top2))


def _draw_cut_guide(c: Any) -> None:
    c.saveState()
    c.setDash(4, 3)
    c.setLineWidth(0.7)
    c.setStrokeColorRGB(*MUTED)
    c.rect(CARD_X * MM, _y(CARD_TOP + CARD_H), CARD_W * MM, CARD_H * MM, stroke=1, fill=0)
    c.restoreState()
    # Scissors sit on the dashed line, on a white patch so that the line stops there.
    for x_mm, top_mm in ((CARD_X + 10.0, CARD_TOP), (CARD_X + 10.0, CARD_TOP + CARD_H)):
        c.setFillColorRGB(1, 1, 1)
        c.rect((x_mm - 3.2) * MM, _y(top_mm + 2.2), 6.4 * MM, 4.4 * MM, stroke=0, fill=1)
        _text(c, x_mm, top_mm + 1.6, "\u2702", REGULAR, 13, MUTED, ALIGN_CENTRE)
    _text(
        c,
        CARD_X + 16.0,
        CARD_TOP - 1.8,
        "Entlang der gestrichelten Linie ausschneiden · Cut along the dashed line",
        REGULAR,
        7,
        MUTED,
    )


def _draw_card(c: Any) -> None:
    x0, t0 = CARD_X, CARD_TOP

    def at(x: float, top: float) -> tuple[float, float]:
        return x0 + x, t0 + top

    _text(c, *at(6, 11.0), "BEWOHNERPARKAUSWEIS", BOLD, 17)
    _text(c, *at(6, 15.5), "Resident parking permit", REGULAR, 8.5, MUTED)
    _text(c, *at(174, 5.2), "Ausgestellt von · Issued by", REGULAR, 6.5, MUTED, ALIGN_RIGHT)
    _line(c, *at(6, 18.5), *at(174, 18.5), 0.9, INK)

    # Zone: a heavy frame around the letter, the one thing visible from a distance.
    _text(c, *at(6, 24.2), "ZONE", BOLD, 8)
    c.setStrokeColorRGB(*INK)
    c.setLineWidth(2.2)
    zx, ztop = at(6, 25.0)
    c.roundRect(zx * MM, _y(ztop + 38), 38 * MM, 38 * MM, 2.5 * MM, stroke=1, fill=0)

    _text(c, *at(50, 24.2), "KENNZEICHEN · Licence plate", BOLD, 8)
    c.setLineWidth(1.2)
    px, ptop = at(50, 25.0)
    c.roundRect(px * MM, _y(ptop + 29), 66 * MM, 29 * MM, 2.0 * MM, stroke=1, fill=0)

    _text(c, *at(50, 58.8), "GÜLTIG BIS · valid until", BOLD, 8)
    _text(c, *at(6, 68.8), "Ausweis-Nr. · Permit no.", REGULAR, 6.5, MUTED)
    _text(c, *at(6, 80.8), "Gültig ab · Valid from", REGULAR, 6.5, MUTED)
    _paragraph(
        c,
        *at(50, 78.0),
        66,
        "Nur gültig für die eingetragenen Kennzeichen in der angegebenen Zone. "
        "Valid only for the plates and zone shown.",
        REGULAR,
        7,
        3.0,
        MUTED,
    )

    qx = QR_BOX.x + QR_BOX.w / 2
    _text(
        c,
        qx,
        QR_BOX.top + QR_BOX.h + 3.6,
        "Echtheit prüfen: QR-Code scannen",
        BOLD,
        7.5,
        INK,
        ALIGN_CENTRE,
    )
    _text(c, qx, QR_BOX.top + QR_BOX.h + 7.0, "Scan to verify", REGULAR, 7, MUTED, ALIGN_CENTRE)

    _line(c, *at(6, 94.0), *at(174, 94.0), 0.5)
    _text(
        c,
        *at(6, 99.5),
        "Gut lesbar hinter die Windschutzscheibe legen · Display behind the windscreen",
        REGULAR,
        7.5,
        MUTED,
    )


def _draw_keep_part(c: Any) -> None:
    left, right = 15.0, 195.0
    _text(c, left, 134.5, "Ihr Bewohnerparkausweis – bitte aufbewahren", BOLD, 13)
    _text(
        c,
        left,
        139.5,
        "Your resident parking permit – keep this part, do not display it",
        REGULAR,
        8.5,
        MUTED,
    )

    rows: tuple[tuple[float, str], ...] = (
        (145.0, "Inhaber/in · Holder"),
        (151.5, "Anschrift · Address"),
        (165.0, "Kennzeichen · Plates"),
        (176.0, "Zone"),
        (183.5, "Gültigkeit · Validity"),
        (191.0, "Ausweis-Nr. · Permit no."),
        (198.5, "Ausgestellt von · Issued by"),
    )
    for top, label in rows:
        _text(c, left, top + 4.2, label, REGULAR, 8.5, MUTED)
    for top in (143.5, 164.2, 175.2, 182.7, 190.2, 197.7, 205.2):
        _line(c, left, top, right, top, 0.4)
    _text(c, 97.8, 187.7, "–", REGULAR, 10.5, INK)

    base = 211.5
    _text(c, left, base, "Was der Ausweis erlaubt · What it allows", BOLD, 9.5)
    base = _paragraph(c, left, base + 4.4, 180, ALLOWS_DE, REGULAR, 8, 3.4)
    base = _paragraph(c, left, base + 0.4, 180, ALLOWS_EN, REGULAR, 7.5, 3.2, MUTED)

    base += 3.4
    _text(c, left, base, "So verwenden Sie den Ausweis · How to use it", BOLD, 9.5)
    base += 4.4
    for number, (german, english) in enumerate(HOW_TO, start=1):
        _text(c, left, base, f"{number}.", BOLD, 8)
        base = _paragraph(c, left + 5, base, 175, german, REGULAR, 8, 3.4)
        base = _paragraph(c, left + 5, base, 175, english, REGULAR, 7.5, 3.2, MUTED)
        base += 1.0
    if base > 286.0:
        raise ValueError(f"keep part runs into the footer ({base:.1f} mm)")

    _text(
        c,
        left,
        288.5,
        "Maschinell erstellt, ohne Unterschrift gültig · Computer-generated, valid "
        "without signature",
        REGULAR,
        6.5,
        MUTED,
    )


def draw_static(c: Any) -> None:
    """Everything on the page that does not depend on the permit (also used by the bench)."""
    _draw_cut_guide(c)
    _draw_card(c)
    _draw_keep_part(c)


def static_page_pdf() -> bytes:
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
    c.setTitle(TITLE)
    draw_static(c)
    c.showPage()
    c.save()
    return buf.getvalue()


def _field_tree(boxes: Iterable[FieldBox]) -> dict[str, list[FieldBox]]:
    grouped: dict[str, list[FieldBox]] = {}
    for box in boxes:
        grouped.setdefault(box.name, []).append(box)
    return grouped


def add_form_fields(page_pdf: bytes, boxes: Iterable[FieldBox]) -> bytes:
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

    for name, group in _field_tree(boxes).items():
        path = tuple(name.split("."))
        field = DictionaryObject({NameObject("/T"): TextStringObject(path[-1])})
        if name == "qr":  # an image slot: a push button, as PDF editors make them
            field[NameObject("/FT")] = NameObject("/Btn")
            field[NameObject("/Ff")] = NumberObject(1 << 16)
        else:
            field[NameObject("/FT")] = NameObject("/Tx")
            first = group[0]
            field[NameObject("/DA")] = TextStringObject(f"/Helv {first.max_size:g} Tf 0 g")
            field[NameObject("/Q")] = NumberObject(first.align)
        if len(group) == 1:
            field.update(widget(group[0]))
            field_ref = writer._add_object(field)
            annots.append(field_ref)
        else:
            kids = ArrayObject()
            field[NameObject("/Kids")] = kids
            field_ref = writer._add_object(field)
            for box in group:
                kid = widget(box)
                kid[NameObject("/Parent")] = field_ref
                if box.max_size != group[0].max_size or box.align != group[0].align:
                    kid[NameObject("/DA")] = TextStringObject(f"/Helv {box.max_size:g} Tf 0 g")
                    kid[NameObject("/Q")] = NumberObject(box.align)
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
    writer.metadata = {"/Title": TITLE, "/Producer": "permit-service"}
    digest = hashlib.sha256(page_pdf).digest()[:16]
    writer._ID = ArrayObject([ByteStringObject(digest), ByteStringObject(digest)])
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def build() -> bytes:
    return add_form_fields(static_page_pdf(), FIELDS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if the committed template differs from a fresh build",
    )
    parser.add_argument("--out", type=Path, default=TEMPLATES_DIR / TEMPLATE_NAME)
    args = parser.parse_args(argv)
    data = build()
    if args.check:
        same = args.out.exists() and args.out.read_bytes() == data
        print(f"{args.out}: {'up to date' if same else 'DIFFERS from a fresh build'}")
        return 0 if same else 1
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
