"""Read a template PDF once: its placeholders, and its page as ready-to-copy bytes.

A template is a one-page PDF made in any editor. Its form fields are placeholders only: the
fully qualified field name (``permit.zone``: a field ``zone`` under a parent ``permit``, or a
flat name with dots, as some editors write it) is the data path, each widget's rectangle is
where the value goes, an optional font size in the field's ``/DA`` caps the size, ``/Q``
aligns the text and the "multiline" flag lets a long value wrap, as in any PDF form.

Per request the renderer must not parse or re-serialise the template. So this module does it
once: it drops the widgets and the ``/AcroForm``, wraps the page's own content in ``q``/``Q``
(so nothing it leaves in the graphics state leaks into the values drawn after it) and writes
every object of the result as bytes with known offsets. The page's resources name one form
XObject, ``/PermitValues``, at a fixed object number right after the static objects; the
renderer writes that object (values and QR code) and its fonts per request, then the
cross-reference table. The page itself never changes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
)

__all__ = ["FieldBox", "Template", "load_template"]

OVERLAY_NAME = "/PermitValues"
MULTILINE_FLAG = 1 << 12  # /Ff bit 13 of a text field (ISO 32000-1, table 228)
_SIZE_IN_DA = re.compile(rb"(\d+(?:\.\d*)?|\.\d+)\s+Tf\b")


@dataclass(frozen=True)
class FieldBox:
    """Where one widget of a placeholder sits and how its value is set."""

    name: str
    x0: float
    y0: float
    x1: float
    y1: float
    max_size: float  # 0: as large as the rectangle allows
    align: int  # 0 left, 1 centre, 2 right
    wrap: bool = False  # the field's "multiline" flag: a long value may take more lines


@dataclass(frozen=True)
class Template:
    digest: bytes  # sha256 of the template file, part of every output /ID
    fields: dict[str, tuple[FieldBox, ...]]
    media_box: tuple[float, float, float, float]
    prefix: bytes  # header and every static object
    offsets: dict[int, int]  # object number -> byte offset in prefix
    root: int
    info: int
    overlay: int  # object number the renderer must give the per-request form XObject


def _inherited(node: Any, key: str) -> Any:
    """A field attribute looked up on the widget, then up the parent chain."""
    seen = 0
    while node is not None and seen < 64:
        if key in node:
            return node[key]
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
        seen += 1
    return None


def _full_name(widget: Any) -> str:
    parts: list[str] = []
    node = widget
    while node is not None and len(parts) < 64:
        if "/T" in node:
            parts.append(str(node["/T"]))
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
    return ".".join(reversed(parts))


def _font_size(da: Any) -> float:
    if da is None:
        return 0.0
    raw = da.encode("latin-1", "replace") if isinstance(da, str) else bytes(da)
    found = _SIZE_IN_DA.findall(raw)
    return float(found[-1]) if found else 0.0


def _collect_fields(page: Any, acroform: Any) -> tuple[dict[str, tuple[FieldBox, ...]], list[Any]]:
    default_da = acroform.get("/DA") if acroform is not None else None
    default_q = acroform.get("/Q", 0) if acroform is not None else 0
    fields: dict[str, list[FieldBox]] = {}
    keep: list[Any] = []
    for ref in page.get("/Annots", ArrayObject()):
        annot = ref.get_object()
        if annot.get("/Subtype") != "/Widget":
            keep.append(ref)
            continue
        name = _full_name(annot)
        if not name:
            continue
        x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
        da = _inherited(annot, "/DA")
        align = _inherited(annot, "/Q")
        flags = _inherited(annot, "/Ff")
        fields.setdefault(name, []).append(
            FieldBox(
                name=name,
                x0=min(x0, x1),
                y0=min(y0, y1),
                x1=max(x0, x1),
                y1=max(y0, y1),
                max_size=_font_size(da if da is not None else default_da),
                align=int(align if align is not None else default_q),
                wrap=bool(int(flags or 0) & MULTILINE_FLAG),
            )
        )
    return {name: tuple(boxes) for name, boxes in fields.items()}, keep


def _stream(data: bytes) -> DecodedStreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream


def load_template(data: bytes, producer: str = "permit-service") -> Template:
    """Parse a one-page template and precompute everything a render needs."""
    reader = PdfReader(BytesIO(data))
    if len(reader.pages) != 1:
        raise ValueError(f"a permit template has one page, this one has {len(reader.pages)}")
    source_page = reader.pages[0]
    fields, other_annots = _collect_fields(source_page, reader.root_object.get("/AcroForm"))
    if other_annots:
        source_page[NameObject("/Annots")] = ArrayObject(other_annots)
    elif "/Annots" in source_page:
        del source_page["/Annots"]
    title = reader.metadata.get("/Title") if reader.metadata is not None else None

    # A fresh writer copies only what the page reaches: no form, no widgets, no old /ID.
    writer = PdfWriter()
    writer.add_page(source_page)
    cleaned = BytesIO()
    writer.write(cleaned)
    clean = PdfReader(cleaned)
    page = clean.pages[0]
    page_number = page.indirect_reference.idnum  # type: ignore[union-attr]
    size = int(clean.trailer["/Size"])  # type: ignore[call-overload]

    # Object numbers after the static ones: the q and Q wrappers, the Info dictionary,
    # then the per-request overlay (and its fonts after it).
    before, after, info, overlay = size, size + 1, size + 2, size + 3

    contents = page.get("/Contents")
    originals: list[PdfObject] = []
    if contents is not None:
        raw = page.raw_get("/Contents")
        originals = list(contents) if isinstance(contents, ArrayObject) else [raw]
    new_page = DictionaryObject({k: page.raw_get(k) for k in page})
    new_page[NameObject("/Contents")] = ArrayObject(
        [IndirectObject(before, 0, clean), *originals, IndirectObject(after, 0, clean)]
    )
    resources = DictionaryObject(page.get("/Resources") or {})
    xobjects = DictionaryObject(resources.get("/XObject") or {})
    xobjects[NameObject(OVERLAY_NAME)] = IndirectObject(overlay, 0, clean)
    resources[NameObject("/XObject")] = xobjects
    new_page[NameObject("/Resources")] = resources

    info_dict = DictionaryObject({NameObject("/Producer"): _text(producer)})
    if title:
        info_dict[NameObject("/Title")] = _text(str(title))

    objects: dict[int, PdfObject] = {}
    for number in range(1, size):
        if number == page_number:
            objects[number] = new_page
            continue
        obj = clean.get_object(number)
        if obj is not None and not _is_old_info(clean, number):
            objects[number] = obj
    objects[before] = _stream(b"q\n")
    objects[after] = _stream(b"\nQ\nq " + OVERLAY_NAME.encode() + b" Do Q\n")
    objects[info] = info_dict

    out = BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number, obj in sorted(objects.items()):
        offsets[number] = out.tell()
        out.write(f"{number} 0 obj\n".encode())
        obj.write_to_stream(out)
        out.write(b"\nendobj\n")

    media = tuple(float(v) for v in page.mediabox)
    return Template(
        digest=hashlib.sha256(data).digest(),
        fields=fields,
        media_box=(media[0], media[1], media[2], media[3]),
        prefix=out.getvalue(),
        offsets=offsets,
        root=clean.trailer.raw_get("/Root").idnum,
        info=info,
        overlay=overlay,
    )


def _is_old_info(reader: PdfReader, number: int) -> bool:
    info = reader.trailer.raw_get("/Info") if "/Info" in reader.trailer else None
    return isinstance(info, IndirectObject) and info.idnum == number


def _text(value: str) -> PdfObject:
    from pypdf.generic import create_string_object

    return create_string_object(value)
