"""No text on a permit is ever drawn below 7 pt, not even the longest values a form accepts.

For every form (and the demo city's), the longest document the form accepts is built here,
independently of the form checks: every printed text field filled to its maxLength with the
widest character its pattern admits (in the embedded font), the most plates, the widest
house numbers. It must pass the form's own validation (so it is *accepted*), render, keep
every character (pdftotext), and every piece of text in the PDF, fixed or filled in, must
be drawn at 7 pt or more (pypdf reports each text run's font size and matrices).
"""

from __future__ import annotations

import copy
import math
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from chalicelib.config import APP_ROOT, DEFAULT_AUTHORITY
from chalicelib.domain.forms import FormDefinition
from chalicelib.services.form_registry import FormRegistry
from tests.integration import pdf_tools

TODAY = date(2026, 11, 21)
FOLDERS = [APP_ROOT / "schemas", APP_ROOT / "cities" / "koblenz" / "schemas"]
CASES = [
    (folder, form_id) for folder in FOLDERS for form_id in sorted(FormRegistry(folder).load_all())
]
# Structured fields: their widest accepted values, written out.
STRUCTURED = {
    "house_number": "9999 W - 9999 W",
    "phone": "+49 (0000) 00000000",
    "postcode": None,  # keep the example's (the pattern fixes its length)
}


def _font() -> Any:
    from reportlab.pdfbase.ttfonts import TTFont

    return TTFont("SizesTest", str(APP_ROOT / "pdf_templates" / "fonts" / "DejaVuSans-Bold.ttf"))


FONT = _font()


def _widest_char(pattern: str) -> str:
    regex = re.compile(pattern.replace("$", r"\Z"))
    chars = [chr(c) for c in range(0x21, 0x3000) if regex.fullmatch(chr(c) * 2)]
    return max(chars, key=lambda ch: FONT.stringWidth(ch, 1.0))


def _longest(node: dict[str, Any], name: str, example: Any) -> Any:
    if node.get("type") == "object":
        properties = node.get("properties", {})
        return {
            key: _longest(properties.get(key, {}), key, value) for key, value in example.items()
        }
    if name in STRUCTURED:
        return STRUCTURED[name] or example
    if node.get("type") == "string" and "maxLength" in node and "pattern" in node:
        if node.get("format") == "email":
            return example
        if re.fullmatch(node["pattern"].replace("$", r"\Z"), "Ab"):
            return _widest_char(node["pattern"]) * int(node["maxLength"])
    return example


def _plates(count: int) -> list[str]:
    return [f"WWW WW 888{n}H" for n in range(count)]


def _longest_street(zone_map: Any) -> str:
    """The widest spelling of a street the zone map knows for every house number."""
    names = {row.street for row in zone_map.rows if row.last is None}
    spelled = [name.upper().replace("ß", "SS") for name in names]
    return max(spelled, key=lambda name: FONT.stringWidth(name, 1.0))


def _longest_document(form: FormDefinition, zone_map: Any) -> dict[str, Any]:
    document = _longest(form.schema, "", copy.deepcopy(form.schema["examples"][0]))
    if form.permit.zone.from_address:
        # An address must lie in a zone: the longest street is the widest one of the map.
        street_parent: Any = document
        *parents, key = (form.permit.zone.street or "").strip("/").split("/")
        for part in parents:
            street_parent = street_parent[part]
        street_parent[key] = _longest_street(zone_map)
        if form.permit.zone.entered is not None:  # an entered zone must be the address's
            document[form.permit.zone.entered.strip("/")] = zone_map.lookup(
                street_parent[key], "9999"
            ).zone
    plates_node = form.schema
    for part in form.permit.plates.strip("/").split("/"):
        plates_node = plates_node["properties"][part]
    parent_path, _, key = form.permit.plates.rpartition("/")
    parent: Any = document
    for part in [p for p in parent_path.split("/") if p]:
        parent = parent[part]
    if plates_node.get("type") == "array":
        parent[key] = _plates(int(plates_node["maxItems"]))
        relation = form.rules.several_plates_pointer
        if relation is not None:
            rel_parent: Any = document
            *rel_parents, rel_key = relation.strip("/").split("/")
            for part in rel_parents:
                rel_parent = rel_parent[part]
            rel_parent[rel_key] = form.rules.several_plates_values[0]
            rel_parent.setdefault("holder_confirmation", True)
    else:
        parent[key] = _plates(1)[0]
    return document


def _sizes(pdf: bytes) -> list[tuple[float, str]]:
    from io import BytesIO

    from pypdf import PdfReader

    found: list[tuple[float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: Any, size: float) -> None:
        if text.strip():
            scale = math.sqrt(abs(tm[0] * tm[3] - tm[1] * tm[2]))
            scale *= math.sqrt(abs(cm[0] * cm[3] - cm[1] * cm[2]))
            found.append((size * scale, text.strip()))

    PdfReader(BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return found


@pytest.mark.parametrize(
    ("folder", "form_id"), CASES, ids=[f"{f.parent.name}-{i}" for f, i in CASES]
)
def test_the_longest_accepted_values_print_at_7_pt_or_more(folder: Path, form_id: str) -> None:
    from chalicelib.adapters.pdf.renderer import PdfTemplateRenderer
    from chalicelib.domain.records import PermitSummary
    from chalicelib.domain.rules import normalise_document, resolve_zone
    from chalicelib.services.documents import DocumentService
    from chalicelib.services.validation import validate_document

    registry = FormRegistry(folder)
    form = registry.get(form_id)
    assert form is not None
    document = _longest_document(form, registry.zone_map)
    errors = validate_document(form, registry.validator(form), document, TODAY, registry.zone_map)
    assert errors == [], "the longest document must be one the form accepts"

    data = normalise_document(form, document)
    parent_path, _, key = form.permit.start_date.rpartition("/")
    parent: Any = data
    for part in [p for p in parent_path.split("/") if p]:
        parent = parent[part]
    parent[key] = TODAY.isoformat()
    assert registry.zone_map is not None
    zone = resolve_zone(form, data, registry.zone_map).zone
    assert zone is not None
    start, end = form.validity_in(data)
    permit = PermitSummary(
        serial=0xFFFFFFFF,
        number="2026-ZZZZ-ZZZZ",
        zone=zone,
        plates=form.plates_in(data),
        valid_from=start,
        valid_to=end,
        token="9" * 295,  # the longest token text the verifier accepts
        issued_at=datetime(2026, 11, 21, tzinfo=UTC),
        permit_type=form.permit.permit_type,
    )
    renderer = PdfTemplateRenderer(APP_ROOT / "pdf_templates")
    documents = DocumentService(
        None,  # type: ignore[arg-type]
        registry,
        renderer,
        "https://permits.example.de",
        DEFAULT_AUTHORITY,
    )
    pdf = documents.render(form, data, permit)

    sizes = _sizes(pdf)
    assert len(sizes) > 40
    smallest = min(sizes)
    assert smallest[0] >= 7.0 - 1e-6, smallest
    # Nothing was dropped: every character of the longest values is in the extracted text.
    text = pdf_tools.pdftotext(pdf).replace("\n", "").replace(" ", "")
    for plate in form.plates_in(data):
        assert plate in text
    widest = [
        v for v in _leaves(document) if isinstance(v, str) and len(set(v)) == 1 and len(v) > 20
    ]
    assert widest, "no long value was printed"
    for value in widest:
        assert text.count(value[0]) >= len(value), value[:5]


def _leaves(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [leaf for value in node.values() for leaf in _leaves(value)]
    return [node]


def test_a_hundred_character_name_is_refused_at_submission(client: Any) -> None:
    """Issue 9: 100 + 100 characters printed at 1.6 pt; the form now bounds them by what fits."""
    import json

    schema = json.loads((APP_ROOT / "schemas" / "resident-parking-permit.json").read_text())
    document = copy.deepcopy(schema["examples"][0])
    document["applicant"]["family_name"] = "M" * 100
    document["applicant"]["given_names"] = "M" * 100
    response = client.http.post(
        "/api/forms/resident-parking-permit/applications",
        headers={"Content-Type": "application/json"},
        body=json.dumps(document),
    )
    assert response.status_code == 422
    codes = {(e["pointer"], e["code"]) for e in json.loads(response.body)["errors"]}
    assert codes == {
        ("/applicant/family_name", "maxLength"),
        ("/applicant/given_names", "maxLength"),
    }
