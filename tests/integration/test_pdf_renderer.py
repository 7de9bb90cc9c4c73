"""The permit PDF as other programs see it: text, QR code, structure, fonts, size, bytes."""

from __future__ import annotations

import random
import re
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from tests.integration import pdf_tools

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = REPO_ROOT / "pdf_templates"
TEMPLATE = "resident-parking-permit.pdf"
MM = 72 / 25.4

if pdf_tools.missing_tools():  # pragma: no cover - `make system-deps` installs them
    pytest.fail(
        f"PDF tools missing: {', '.join(pdf_tools.missing_tools())} (run make system-deps)",
        pytrace=False,
    )


def _token_digits() -> str:
    """A one-plate token: 88 signed bytes written as one decimal number (212 digits)."""
    rng = random.Random(20260401)
    return f"{int.from_bytes(bytes(rng.randrange(256) for _ in range(88)), 'big'):0212d}"


QR_URL = f"https://permits.example.de/v#{_token_digits()}"

FIELDS = {
    "permit.zone": "B",
    "vehicle.plates": "M-AB 1234",
    "permit.valid_from": "01.04.2026",
    "permit.valid_until": "31.03.2027",
    "permit.number": "BP-2026-000123",
    "authority.name": "Stadt Musterstadt – Straßenverkehrsbehörde",
    "applicant.name": "Erika Mustermann",
    "address.line1": "Musterstraße 12",
    "address.line2": "12345 Musterstadt",
}

NAMES = [
    "Łukasz Żółć",
    "Gülşen Öztürk",
    "Jiří Dvořák",
    "Ђорђе Петровић",
    "Σοφία Παπαδοπούλου",
]
LONG_NAME = "Anna-Luisa Müller-Lüdenscheidt von Hohenlohe-Schillingsfürst"


@pytest.fixture(scope="module")
def renderer():  # type: ignore[no-untyped-def]
    from chalicelib.adapters.pdf.renderer import PdfTemplateRenderer

    return PdfTemplateRenderer(TEMPLATES)


@pytest.fixture(scope="module")
def permit(renderer) -> bytes:  # type: ignore[no-untyped-def]
    return bytes(renderer.render(TEMPLATE, FIELDS, QR_URL))


def _render(renderer, **changes: str) -> bytes:  # type: ignore[no-untyped-def]
    return bytes(renderer.render(TEMPLATE, {**FIELDS, **changes}, QR_URL))


def _boxes(name: str) -> list[pdf_tools.Widget]:
    widgets = pdf_tools.template_widgets((TEMPLATES / TEMPLATE).read_bytes())
    return [w for w in widgets if w.name == name]


# -- text ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_holder_name_extracts_exactly(renderer, name: str) -> None:  # type: ignore[no-untyped-def]
    text = pdf_tools.pdftotext(_render(renderer, **{"applicant.name": name}))
    assert name in text


def test_every_value_extracts(permit: bytes) -> None:
    text = pdf_tools.pdftotext(permit)
    for value in FIELDS.values():
        assert value in text


def test_several_plates_are_stacked_lines(renderer) -> None:  # type: ignore[no-untyped-def]
    pdf = _render(renderer, **{"vehicle.plates": "M-AB 1234\nM-XY 987E"})
    lines = pdf_tools.pdftotext(pdf, "-layout").splitlines()
    first = next(i for i, line in enumerate(lines) if "M-AB 1234" in line)
    assert "M-XY 987E" in "".join(lines[first + 1 : first + 4])


def test_long_double_barrelled_name_wraps_inside_its_box(renderer) -> None:  # type: ignore[no-untyped-def]
    assert len(LONG_NAME) == 60
    (box,) = _boxes("applicant.name")
    height = pdf_tools.page_height((TEMPLATES / TEMPLATE).read_bytes())

    def name_words(pdf: bytes, name: str) -> list[pdf_tools.Word]:
        wanted = name.split()
        found = pdf_tools.words(pdf)
        for i in range(len(found) - len(wanted) + 1):
            if [w.text for w in found[i : i + len(wanted)]] == wanted:
                return found[i : i + len(wanted)]
        raise AssertionError(f"{name!r} not extracted as consecutive words")

    long_pdf = _render(renderer, **{"applicant.name": LONG_NAME})
    text = pdf_tools.pdftotext(long_pdf)
    assert all(word in text for word in LONG_NAME.split())
    long_words = name_words(long_pdf, LONG_NAME)
    short_words = name_words(_render(renderer, **{"applicant.name": "Erika Mustermann"}), "Erika")

    tolerance = 0.5  # points; poppler rounds glyph boxes
    assert long_words[0].x0 >= box.x0 - tolerance
    assert long_words[-1].x1 <= box.x1 + tolerance
    for word in long_words:  # inside the rectangle vertically too
        assert word.top >= height - box.y1 - tolerance
        assert word.bottom <= height - box.y0 + tolerance
    long_size = long_words[0].bottom - long_words[0].top
    short_size = short_words[0].bottom - short_words[0].top
    # At the field's size (10.5 pt) this name would be about 140 mm wide in a 127 mm box: it
    # takes a second line (at a space) instead of shrinking, since the box is tall enough.
    assert len({round(word.top) for word in long_words}) == 2, "the long name did not wrap"
    assert long_size == pytest.approx(short_size, abs=0.2)


# -- QR code ------------------------------------------------------------------------------


def test_qr_decodes_to_exact_content_at_150_dpi(permit: bytes) -> None:
    assert pdf_tools.decode_qr(permit, dpi=150) == [QR_URL]


def test_qr_version_and_size_for_a_one_plate_token() -> None:
    from chalicelib.adapters.pdf.qr import QUIET_ZONE, encode_qr

    qr = encode_qr(QR_URL)
    assert len(_token_digits()) == 212
    assert qr.version <= 9
    (box,) = _boxes("qr")
    side = min(box.x1 - box.x0, box.y1 - box.y0)
    assert abs((box.x1 - box.x0) - (box.y1 - box.y0)) < 0.01, "QR rectangle is not square"
    symbol_mm = side * qr.size / (qr.size + 2 * QUIET_ZONE) / MM
    assert symbol_mm >= 45.0


def test_qr_is_one_filled_vector_path(permit: bytes) -> None:
    from pypdf import PdfReader
    from pypdf.generic import ContentStream

    reader = PdfReader(BytesIO(permit))
    page = reader.pages[0]
    assert not re.search(rb"/Subtype\s*/Image", permit), "no raster images"
    resources: Any = page["/Resources"]
    form = resources["/XObject"]["/PermitValues"].get_object()
    operators = [op for _operands, op in ContentStream(form, reader).operations]
    fills = [op for op in operators if op in (b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*")]
    assert fills == [b"f"], "the QR code must be filled once, as one path"
    assert b"re" not in operators, "no rectangles: module outlines only"


# -- structure ----------------------------------------------------------------------------


def test_qpdf_check_passes(permit: bytes) -> None:
    result = pdf_tools.qpdf_check(permit)
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert b"No syntax or stream encoding errors" in result.stdout


def test_no_form_and_no_widgets_remain(permit: bytes) -> None:
    from pypdf import PdfReader

    reader = PdfReader(BytesIO(permit))
    assert "/AcroForm" not in reader.root_object
    for ref in reader.pages[0].get("/Annots", []):
        assert ref.get_object().get("/Subtype") != "/Widget"
    assert b"/Widget" not in permit
    assert b"/AcroForm" not in permit


def test_template_content_is_wrapped_in_q_and_Q(permit: bytes) -> None:
    from pypdf import PdfReader

    page = PdfReader(BytesIO(permit)).pages[0]
    streams = [ref.get_object().get_data() for ref in page.raw_get("/Contents").get_object()]
    assert streams[0].strip() == b"q"
    assert streams[-1].split()[:1] == [b"Q"]


def test_fonts_embedded_as_subsets_with_unicode_maps(permit: bytes) -> None:
    found = pdf_tools.fonts(permit)
    assert found
    for font in found:
        assert font.embedded and font.subset and font.unicode, font
        assert re.fullmatch(r"[A-Z]{6}\+[A-Za-z0-9-]+", font.name), font.name
    assert len({f.name for f in found}) == len(found), "two subsets share a name"


def test_small_file(renderer) -> None:  # type: ignore[no-untyped-def]
    worst = _render(
        renderer,
        **{"applicant.name": " ".join(NAMES), "vehicle.plates": "M-AB 1234\nM-XY 987E\nM-Q 1"},
    )
    assert len(worst) < 60 * 1024


def test_unsupported_character_is_refused(renderer) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="U\\+738B"):
        _render(renderer, **{"applicant.name": "王"})


# -- determinism --------------------------------------------------------------------------


def _file_id(pdf: bytes) -> bytes:
    from pypdf import PdfReader

    ident: Any = PdfReader(BytesIO(pdf)).trailer["/ID"]
    first, second = ident
    assert first == second, "a new file has both identifiers equal"
    # pypdf hands back some byte strings as text objects; original_bytes is the raw value
    return bytes(getattr(first, "original_bytes", first))


def test_same_inputs_same_bytes(renderer, permit: bytes) -> None:  # type: ignore[no-untyped-def]
    from chalicelib.adapters.pdf.renderer import PdfTemplateRenderer

    assert _render(renderer) == permit
    assert PdfTemplateRenderer(TEMPLATES).render(TEMPLATE, FIELDS, QR_URL) == permit


def test_different_inputs_different_id(renderer, permit: bytes) -> None:  # type: ignore[no-untyped-def]
    other_name = _render(renderer, **{"applicant.name": "Max Mustermann"})
    other_qr = renderer.render(TEMPLATE, FIELDS, QR_URL[:-1] + "0")
    ids = {_file_id(permit), _file_id(other_name), _file_id(other_qr)}
    assert len(ids) == 3
    template_id = _file_id((TEMPLATES / TEMPLATE).read_bytes())
    assert template_id not in ids


def test_no_dates_anywhere(permit: bytes) -> None:
    assert b"CreationDate" not in permit
    assert b"ModDate" not in permit
    assert b"D:20" not in permit


# -- template -----------------------------------------------------------------------------


@pytest.mark.parametrize("spec", sorted(TEMPLATES.glob("*.json")), ids=lambda p: p.stem)
def test_every_template_regenerates_byte_for_byte_from_its_description(spec: Path) -> None:
    from scripts.build_templates import build, load_spec

    assert build(load_spec(spec)) == spec.with_suffix(".pdf").read_bytes()


def test_placeholder_names(renderer) -> None:  # type: ignore[no-untyped-def]
    assert renderer.placeholder_names(TEMPLATE) == frozenset(
        {
            "permit.zone",
            "vehicle.plates",
            "permit.valid_from",
            "permit.valid_until",
            "permit.number",
            "authority.name",
            "applicant.name",
            "address.line1",
            "address.line2",
            "vehicle.plates_list",
            "permit.zone_line",
            "qr",
        }
    )


def test_cut_out_part_holds_no_name_or_address() -> None:
    """Passers-by read the windscreen part: holder data only below the cutting line."""
    widgets = pdf_tools.template_widgets((TEMPLATES / TEMPLATE).read_bytes())
    qr_bottom = min(w.y0 for w in widgets if w.name == "qr")
    for widget in widgets:
        if widget.name.startswith(("applicant.", "address.")):
            assert widget.y1 < qr_bottom - 20 * MM, widget


_NOT_PLAIN = "template must be a plain file name"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        # These three name files that exist: only the name check can refuse them.
        (f"../{TEMPLATES.name}/{TEMPLATE}", _NOT_PLAIN),
        (str(TEMPLATES / TEMPLATE), _NOT_PLAIN),
        ("fonts/DejaVuSans.ttf", _NOT_PLAIN),
        (f"..\\{TEMPLATES.name}\\{TEMPLATE}", _NOT_PLAIN),
        ("..", _NOT_PLAIN),
        ("", _NOT_PLAIN),
        (".x.pdf", _NOT_PLAIN),
        ("missing.pdf", "unknown template 'missing.pdf'"),
        ("fonts", "unknown template 'fonts'"),
    ],
)
def test_bad_template_names_raise(renderer, name: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=re.escape(reason)):
        renderer.render(name, FIELDS, QR_URL)
    with pytest.raises(ValueError, match=re.escape(reason)):
        renderer.placeholder_names(name)


def test_the_traversal_names_above_would_reach_real_files() -> None:
    """Guards the test above: without the name check, these paths would open real files."""
    assert (TEMPLATES / f"../{TEMPLATES.name}/{TEMPLATE}").is_file()
    assert (TEMPLATES / str(TEMPLATES / TEMPLATE)).is_file()
    assert (TEMPLATES / "fonts/DejaVuSans.ttf").is_file()


def test_concurrent_renders_give_the_same_bytes(renderer, permit: bytes) -> None:  # type: ignore[no-untyped-def]
    """Threads share the parsed template and font (chalice local serves from threads)."""
    from concurrent.futures import ThreadPoolExecutor

    names = NAMES * 4
    expected = {name: _render(renderer, **{"applicant.name": name}) for name in NAMES}
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda n: _render(renderer, **{"applicant.name": n}), names))
    for name, pdf in zip(names, results, strict=True):
        assert pdf == expected[name]
