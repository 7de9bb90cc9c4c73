"""`make check-forms`: the staff command that finds what would fail after a citizen has paid.

Each failure class gets one deliberately broken copy of a real form (in a copy of the
repository's resources), and the check must refuse it naming the file and the JSON pointer.
The same problems stop the service from loading the form (the registry runs the same
checks), so none of them can reach a paid application.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from scripts.check_forms import check, fee_table, form_dirs, render_previews
from tests.conftest import REPO_ROOT

TODAY = date(2026, 11, 21)
RESIDENT = "resident-parking-permit.json"
VISITOR = "visitor-parking-permit.json"
TRADES = "tradesperson-parking-permit.json"
KOBLENZ = "cities/koblenz/schemas/resident-parking-permit.json"

Change = Callable[[dict[str, Any]], object]


def _copy_resources(tmp_path: Path) -> Path:
    for folder in ("schemas", "pdf_templates", "cities"):
        shutil.copytree(REPO_ROOT / folder, tmp_path / folder)
    return tmp_path


def _edit(resources: Path, file: str, change: Change) -> None:
    path = resources / "schemas" / file if not file.startswith("cities/") else resources / file
    data = json.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")


def _problems(tmp_path: Path, file: str, change: Change) -> list[str]:
    resources = _copy_resources(tmp_path)
    _edit(resources, file, change)
    return check(resources, TODAY)


def _at(node: Any, path: str) -> Any:
    for part in [p for p in path.split("/") if p]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _set(path: str, value: object) -> Change:
    def change(data: dict[str, Any]) -> None:
        parent, _, last = path.rpartition("/")
        target = _at(data, parent)
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return change


def _delete(path: str) -> Change:
    def change(data: dict[str, Any]) -> None:
        parent, _, last = path.rpartition("/")
        del _at(data, parent)[last]

    return change


def _append(path: str, value: object) -> Change:
    return lambda data: _at(data, path).append(value)


def _all(*changes: Change) -> Change:
    def change(data: dict[str, Any]) -> None:
        for one in changes:
            one(data)

    return change


# -- the real forms ----------------------------------------------------------------------------


def test_every_forms_folder_passes() -> None:
    assert [p.relative_to(REPO_ROOT).as_posix() for p in form_dirs()] == [
        "schemas",
        "cities/koblenz/schemas",
    ]
    assert check() == []


def test_a_preview_pdf_is_rendered_per_form_of_every_city(tmp_path: Path) -> None:
    from tests.integration import pdf_tools

    written = render_previews(tmp_path / "preview")
    assert sorted(p.name for p in written) == [
        "koblenz-resident-parking-permit.preview.pdf",
        "resident-parking-permit.preview.pdf",
        "tradesperson-parking-permit.preview.pdf",
        "visitor-parking-permit.preview.pdf",
    ]
    texts = {p.name: pdf_tools.pdftotext(p.read_bytes()) for p in written}
    assert "BESUCHERPARKAUSWEIS" in texts["visitor-parking-permit.preview.pdf"]
    assert "Elektro Şahin GmbH" in texts["tradesperson-parking-permit.preview.pdf"]
    assert "Firmungstraße 12" in texts["koblenz-resident-parking-permit.preview.pdf"]


def test_a_fee_table_is_printed_for_each_example() -> None:
    from chalicelib.services.form_registry import FormRegistry

    forms = FormRegistry(REPO_ROOT / "schemas").load_all()
    assert fee_table(forms["visitor-parking-permit"], TODAY) == [
        "  example 0, from 2025-01-01 (in force): 7,50 € = 3 Tage × 2,50 € = 7,50 €",
        "  example 0, from 2027-01-01 (announced): 9,00 € = 3 Tage × 3,00 € = 9,00 €",
        "  example 1, from 2025-01-01 (in force): 35,00 € = 14 Tage × 2,50 € = 35,00 €",
        "  example 1, from 2027-01-01 (announced): 42,00 € = 14 Tage × 3,00 € = 42,00 €",
    ]
    koblenz = FormRegistry(REPO_ROOT / "cities" / "koblenz" / "schemas").load_all()
    assert fee_table(koblenz["resident-parking-permit"], TODAY)[0] == (
        "  example 0, from 2024-03-01 (in force): 179,12 € = 4,255 m × 1,799 m × 23,40 €/m²"
        " = 179,12 € (kaufmännisch auf volle Cent gerundet)"
    )


# -- one broken copy per failure class ----------------------------------------------------------

ZONE_ENUM = "/properties/zone/enum"
BROKEN: list[tuple[str, str, Change, str, str]] = [
    # pointers resolve to a field ...
    (
        "pointer names no field",
        RESIDENT,
        _set("/x-service/permit/plates", "/vehicle/plate"),
        "/x-service/permit/plates",
        "'/vehicle/plate' names no property of the form",
    ),
    # ... of the right type
    (
        "pointer names a field of the wrong type",
        RESIDENT,
        _set("/x-service/permit/duration/pointer", "/zone"),
        "/x-service/permit/duration/pointer",
        "'/zone' must be an integer, but it is string",
    ),
    (
        "a start date that is no date",
        RESIDENT,
        _set("/x-service/permit/start_date", "/applicant/email"),
        "/x-service/permit/start_date",
        "must have format 'date'",
    ),
    (
        "a duration without bounds",
        VISITOR,
        _delete("/properties/visit/properties/duration_days/maximum"),
        "/x-service/permit/duration/pointer",
        "needs an enum or minimum and maximum",
    ),
    (
        "a duration longer than the validity computation allows",
        VISITOR,
        _set("/properties/visit/properties/duration_days/maximum", 400),
        "/x-service/permit/duration/pointer",
        "between 1 and 366 days",
    ),
    # token limits: zones, plates, permit type
    (
        "a zone of three characters (the token holds 1-2)",
        RESIDENT,
        _all(_append(ZONE_ENUM, "ABC")),
        f"{ZONE_ENUM}/14",
        "does not fit the token",
    ),
    (
        "a zone the zone map does not know",
        RESIDENT,
        _append(ZONE_ENUM, "Q"),
        f"{ZONE_ENUM}/14",
        "zone 'Q' is not in the zone map",
    ),
    (
        "plates without a pattern",
        RESIDENT,
        _delete("/properties/vehicle/properties/plates/items/pattern"),
        "/x-service/permit/plates",
        "needs a pattern for plates",
    ),
    (
        "more plates than the token holds",
        TRADES,
        _set("/properties/vehicles/properties/plates/maxItems", 5),
        "/x-service/permit/plates",
        "needs maxItems <= 4",
    ),
    (
        "an allowed zone the zone map does not know",
        VISITOR,
        _append("/x-service/rules/allowed_zones", "X9"),
        "/x-service/rules/allowed_zones/12",
        "zone 'X9' is not in the zone map",
    ),
    (
        "a zone group the zone map does not know",
        TRADES,
        _all(
            _append("/properties/permit/properties/zones/enum", "Z9"),
            _set("/properties/permit/properties/zones/x-enum-titles/Z9", {"de": "Z9", "en": "Z9"}),
        ),
        "/properties/permit/properties/zones/enum/4",
        "zone 'Z9' is not in the zone map",
    ),
    # fee tables cover every option and every date
    (
        "an option without a price",
        RESIDENT,
        _append("/properties/duration_months/enum", 36),
        "/x-service/fee/tables/0/amounts_cents",
        "no amount for option '36' of /duration_months",
    ),
    (
        "a price for an option the form does not offer",
        RESIDENT,
        _set("/x-service/fee/tables/0/amounts_cents/3", 900),
        "/x-service/fee/tables/0/amounts_cents/3",
        "'3' is not an option of /duration_months",
    ),
    (
        "no fee table in force today",
        VISITOR,
        _set("/x-service/fee/tables/0/effective_from", "2026-12-01"),
        "/x-service/fee/tables/0/effective_from",
        "no fee table is in force today (2026-11-21)",
    ),
    (
        "two tables taking effect on one day",
        VISITOR,
        _set("/x-service/fee/tables/1/effective_from", "2025-01-01"),
        "/x-service/fee/tables/1/effective_from",
        "tables must take effect on different days",
    ),
    (
        "a per-day rate on an unbounded count",
        VISITOR,
        _delete("/properties/visit/properties/duration_days/minimum"),
        "/x-service/fee/tables/0/by",
        "needs bounds",
    ),
    (
        "a size-based fee on lengths without bounds",
        KOBLENZ,
        _delete("/properties/vehicle/properties/width_mm/maximum"),
        "/x-service/fee/tables/1/width",
        "needs minimum and maximum (mm)",
    ),
    (
        "length classes that stop short of the longest accepted vehicle",
        KOBLENZ,
        _set(
            "/x-service/fee/tables/1",
            {
                "effective_from": "2024-03-01",
                "kind": "length_classes",
                "length": "/vehicle/length_mm",
                "classes": [
                    {"up_to_mm": 4109, "amount_cents": 10000},
                    {"up_to_mm": 5600, "amount_cents": 12000},
                ],
            },
        ),
        "/x-service/fee/tables/1/classes/1/up_to_mm",
        "lengths up to 6500 mm are accepted",
    ),
    # examples are valid on the day the check runs
    (
        "an example whose start date has passed",
        VISITOR,
        _set("/examples/0/visit/start_date", "2026-11-20"),
        "/examples/0/visit/start_date",
        "start_date_in_past",
    ),
    (
        "an example too far ahead",
        RESIDENT,
        _set("/examples/1/start_date", "2027-03-01"),
        "/examples/1/start_date",
        "start_date_too_far",
    ),
    (
        "an example whose address lies in no zone",
        VISITOR,
        _set("/examples/1/address/street", "Am Ellernbusch"),
        "/examples/1/address/street",
        "zone_unknown_street",
    ),
    (
        "an example whose entered zone is not its address's",
        RESIDENT,
        _set("/examples/0/zone", "A"),
        "/examples/0/zone",
        "zone_mismatch",
    ),
    # every value the template must hold fits it
    (
        "a name longer than its box holds at 7 pt",
        RESIDENT,
        _set("/properties/applicant/properties/family_name/maxLength", 100),
        "/x-service/document/fields/applicant.name",
        "does not fit at 7 pt or more",
    ),
    (
        "a printed field without a length limit",
        TRADES,
        _delete("/properties/company/properties/name/maxLength"),
        "/x-service/document/fields/company.name",
        "needs a maxLength",
    ),
    (
        "a printed field that admits characters the font lacks",
        VISITOR,
        _set(
            "/properties/resident/properties/family_name/pattern",
            "^[ A-Za-zΚαρωγιάνηΕλέ\u4e00-\u4e8f]+$",
        ),
        "/x-service/document/fields/resident.name",
        "admits characters the PDF font cannot draw: U+4E00",
    ),
    (
        "a printed field without a pattern",
        VISITOR,
        _delete("/properties/address/properties/street/pattern"),
        "/x-service/document/fields/address.line1",
        "needs a pattern that names its characters",
    ),
    (
        "a mapping that names something a permit cannot print",
        TRADES,
        _set("/x-service/document/fields/company.name", "{permit.colour}"),
        "/x-service/document/fields/company.name",
        "{permit.colour} is not something a permit can print",
    ),
    (
        "a label of an option without titles",
        TRADES,
        _delete("/properties/company/properties/trade/x-enum-titles"),
        # the meta-schema requires option labels (the web form shows them), so it says first
        "/properties/company/properties/trade/x-enum-titles",
        "'x-enum-titles' is a required property",
    ),
    (
        "a template field without a mapping",
        VISITOR,
        _delete("/x-service/document/fields/permit.duration"),
        "/x-service/document/fields",
        "template field 'permit.duration' of visitor-parking-permit.pdf has no mapping",
    ),
    (
        "a mapping for a field the template does not have",
        VISITOR,
        _set("/x-service/document/fields/permit.colour", "{permit.zone}"),
        "/x-service/document/fields/permit.colour",
        "not a field of visitor-parking-permit.pdf",
    ),
    (
        "a template that does not exist",
        TRADES,
        _set("/x-service/document/template", "no-such-template.pdf"),
        "/x-service/document/template",
        "unknown template 'no-such-template.pdf'",
    ),
    # a permit type of its own
    (
        "a permit type another form has",
        VISITOR,
        _set("/x-service/permit/type", 3),
        "/x-service/permit/type",
        "permit type 3 is already tradesperson-parking-permit's",
    ),
]


@pytest.mark.parametrize(
    ("file", "change", "pointer", "message"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_a_broken_form_is_refused_naming_file_and_pointer(
    tmp_path: Path, file: str, change: Change, pointer: str, message: str
) -> None:
    problems = _problems(tmp_path, file, change)
    name = file.removeprefix("cities/koblenz/schemas/")
    matching = [
        p
        for p in problems
        if p.startswith(f"{file if file.startswith('cities/') else name}: at '{pointer}': ")
    ]
    assert matching, problems
    assert any(message in p for p in matching), matching


def test_a_zone_of_three_characters_stops_the_service_from_loading_the_form(tmp_path: Path) -> None:
    """Issue 9: this used to pass, be submitted, and fail the webhook after payment."""
    from chalicelib.services.form_registry import FormDefinitionError, FormRegistry

    resources = _copy_resources(tmp_path)
    _edit(resources, RESIDENT, _append(ZONE_ENUM, "ABC"))
    with pytest.raises(FormDefinitionError) as caught:
        FormRegistry(resources / "schemas").load_all()
    assert (caught.value.file.name, caught.value.pointer) == (RESIDENT, f"{ZONE_ENUM}/14")


# -- the zone map --------------------------------------------------------------------------------


def _zone_problems(tmp_path: Path, change: Change) -> list[str]:
    resources = _copy_resources(tmp_path)
    path = resources / "schemas" / "_city" / "zones.json"
    data = json.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return check(resources, TODAY)


@pytest.mark.parametrize(
    ("change", "pointer", "message"),
    [
        (
            _append("/streets", {"street": "Wirtelstr.", "from": 39, "to": 45, "zone": "C"}),
            "/streets/24",
            "overlaps /streets/2",
        ),
        (_set("/streets/0/zone", "Q"), "/streets/0/zone", "zone 'Q' is not defined"),
        (_set("/groups/Z1/zones/0", "Q"), "/groups/Z1/zones/0", "zone 'Q' is not defined"),
        (_set("/zones/ABC", {"de": "x", "en": "x"}), "/zones", None),
        (_set("/streets/3/to", 5), "/streets/3/to", "'to' lies before 'from'"),
    ],
)
def test_a_broken_zone_map_is_refused_naming_the_pointer(
    tmp_path: Path, change: Change, pointer: str, message: str | None
) -> None:
    problems = _zone_problems(tmp_path, change)
    assert problems, "the broken zone map passed"
    assert problems[0].startswith(f"_city/zones.json: at '{pointer}': "), problems
    if message is not None:
        assert message in problems[0]


# -- templates as data --------------------------------------------------------------------------


def test_a_template_description_with_text_below_7_pt_is_refused(tmp_path: Path) -> None:
    from scripts.build_templates import TemplateSpecError, load_spec

    spec = json.loads((REPO_ROOT / "pdf_templates" / "visitor-parking-permit.json").read_text())
    spec["regions"][0]["elements"][1]["size"] = 6.5
    path = tmp_path / "visitor-parking-permit.json"
    path.write_text(json.dumps(spec, ensure_ascii=False))
    with pytest.raises(TemplateSpecError) as caught:
        load_spec(path)
    assert caught.value.pointer == "/regions/0/elements/1/size"
    assert "below the minimum of 7 pt" in str(caught.value)


def test_a_template_description_is_checked_against_its_meta_schema(tmp_path: Path) -> None:
    from scripts.build_templates import TemplateSpecError, load_spec

    spec = json.loads((REPO_ROOT / "pdf_templates" / "visitor-parking-permit.json").read_text())
    spec["regions"][1]["elements"][3]["align"] = "justify"
    path = tmp_path / "visitor-parking-permit.json"
    path.write_text(json.dumps(spec, ensure_ascii=False))
    with pytest.raises(TemplateSpecError) as caught:
        load_spec(path)
    assert caught.value.pointer.startswith("/regions/1/elements/3")
