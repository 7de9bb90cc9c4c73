"""The rules a JSON Schema cannot say, on the real resident parking form.

Each rule is pinned at its boundaries (today, today + 3 months, the day after) and with
inputs the schema already refused, which the rules must skip rather than crash on or report
twice.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest

from chalicelib.config import APP_ROOT
from chalicelib.domain.errors import FieldError
from chalicelib.domain.forms import FormDefinition
from chalicelib.domain.rules import apply_rules, normalise_document

SCHEMA = json.loads((APP_ROOT / "schemas" / "resident-parking-permit.json").read_text("utf-8"))
FORM = FormDefinition.from_schema(SCHEMA)
TODAY = date(2026, 11, 21)


def _doc(**changes: Any) -> dict[str, Any]:
    """The first example with ``vehicle``/``start_date`` etc. replaced."""
    document = copy.deepcopy(SCHEMA["examples"][0])
    document.update(changes)
    return document


def _vehicle(plates: list[Any], relation: str = "holder", **extra: Any) -> dict[str, Any]:
    return {"plates": plates, "relation": relation, **extra}


def test_the_examples_break_no_rule() -> None:
    for example in SCHEMA["examples"]:
        assert apply_rules(FORM, copy.deepcopy(example), TODAY) == []


@pytest.mark.parametrize(
    "start",
    ["2026-11-21", "2026-11-22", "2027-01-31", "2027-02-21"],  # today .. today + 3 months
)
def test_start_dates_inside_the_window_pass(start: str) -> None:
    assert apply_rules(FORM, _doc(start_date=start), TODAY) == []


@pytest.mark.parametrize("start", ["2026-11-20", "2025-11-21", "1970-01-01"])
def test_a_start_date_in_the_past_is_refused(start: str) -> None:
    assert apply_rules(FORM, _doc(start_date=start), TODAY) == [
        FieldError("/start_date", "start_date_in_past", {"earliest": "21.11.2026"})
    ]


@pytest.mark.parametrize("start", ["2027-02-22", "2027-11-21", "9999-12-31"])
def test_a_start_date_more_than_three_months_ahead_is_refused(start: str) -> None:
    assert apply_rules(FORM, _doc(start_date=start), TODAY) == [
        FieldError("/start_date", "start_date_too_far", {"months": 3, "latest": "21.02.2027"})
    ]


def test_the_window_clamps_at_month_end() -> None:
    """30 Nov + 3 months is 28 Feb (there is no 30 Feb), and 1 Mar is too far."""
    today = date(2026, 11, 30)
    assert apply_rules(FORM, _doc(start_date="2027-02-28"), today) == []
    assert apply_rules(FORM, _doc(start_date="2027-03-01"), today) == [
        FieldError("/start_date", "start_date_too_far", {"months": 3, "latest": "28.02.2027"})
    ]


@pytest.mark.parametrize("start", ["2026-02-30", "tomorrow", "", 20261121, None, ["2026-11-21"]])
def test_start_dates_the_schema_refuses_are_left_to_the_schema(start: object) -> None:
    assert apply_rules(FORM, _doc(start_date=start), TODAY) == []


def test_an_omitted_start_date_is_not_a_rule_error() -> None:
    document = _doc()
    assert "start_date" not in document
    assert apply_rules(FORM, document, TODAY) == []


def test_two_plates_need_a_company_car() -> None:
    document = _doc(vehicle=_vehicle(["DN-AB 1", "DN-AB 2"], "holder"))
    assert apply_rules(FORM, document, TODAY) == [
        FieldError("/vehicle/plates", "plates_require_company_car")
    ]


@pytest.mark.parametrize("relation", ["leased", "rented"])
def test_two_plates_are_refused_for_every_relation_but_company_car(relation: str) -> None:
    document = _doc(vehicle=_vehicle(["DN-AB 1", "DN-AB 2"], relation, holder_confirmation=True))
    assert apply_rules(FORM, document, TODAY) == [
        FieldError("/vehicle/plates", "plates_require_company_car")
    ]


def test_four_plates_for_a_company_car_pass() -> None:
    plates = ["DN-AB 1", "DN-AB 2", "DN-AB 3", "DN-AB 4"]
    document = _doc(vehicle=_vehicle(plates, "company_car", holder_confirmation=True))
    assert apply_rules(FORM, document, TODAY) == []


def test_duplicates_are_found_after_normalisation() -> None:
    plates = ["DN-AB 123", "dn ab 123", "DNAB123", "DN-AB 124"]
    document = _doc(vehicle=_vehicle(plates, "company_car", holder_confirmation=True))
    assert apply_rules(FORM, document, TODAY) == [
        FieldError("/vehicle/plates/1", "duplicate_plate"),
        FieldError("/vehicle/plates/2", "duplicate_plate"),
    ]


@pytest.mark.parametrize("plate", ["DN-AB 0123", "DN", "DNABCD 1", "DN-AB 12345"])
def test_plates_that_are_not_german_plates_are_refused(plate: str) -> None:
    document = _doc(vehicle=_vehicle([plate]))
    assert apply_rules(FORM, document, TODAY) == [FieldError("/vehicle/plates/0", "plate_format")]


@pytest.mark.parametrize(
    "vehicle",
    [
        "DN-AB 123",
        None,
        {"plates": "DN-AB 123", "relation": "holder"},
        {"plates": [42, None], "relation": "company_car"},
        {"relation": "holder"},
        {},
    ],
)
def test_mistyped_vehicles_are_left_to_the_schema(vehicle: object) -> None:
    assert apply_rules(FORM, _doc(vehicle=vehicle), TODAY) == []


def test_a_missing_relation_does_not_invent_a_company_car_error() -> None:
    document = _doc(vehicle={"plates": ["DN-AB 1", "DN-AB 2"]})
    assert apply_rules(FORM, document, TODAY) == []


def test_the_plates_rule_is_data_a_form_without_it_takes_several_plates() -> None:
    schema = copy.deepcopy(SCHEMA)
    del schema["x-service"]["rules"]["several_plates_only_for"]
    form = FormDefinition.from_schema(schema)
    document = _doc(vehicle=_vehicle(["DN-AB 1", "DN-AB 2"], "holder"))
    assert apply_rules(FORM, document, TODAY) != []
    assert apply_rules(form, document, TODAY) == []


def test_the_start_window_can_be_days() -> None:
    schema = copy.deepcopy(SCHEMA)
    schema["x-service"]["rules"]["start_date"]["max_ahead"] = {"days": 14}
    form = FormDefinition.from_schema(schema)
    assert apply_rules(form, _doc(start_date="2026-12-05"), TODAY) == []  # today + 14
    assert apply_rules(form, _doc(start_date="2026-12-06"), TODAY) == [
        FieldError("/start_date", "start_date_too_far_days", {"days": 14, "latest": "05.12.2026"})
    ]


# -- ages (issue 9 item 6): no 0001-01-01, no 2999-01-01 -------------------------------------


@pytest.mark.parametrize(
    ("born", "expected"),
    [
        ("2010-11-21", []),  # 16 today
        ("2010-11-22", [FieldError("/applicant/date_of_birth", "too_young", {"years": 16})]),
        ("1906-11-21", []),  # 120 today
        (
            "1906-11-20",
            [
                FieldError(
                    "/applicant/date_of_birth",
                    "date_of_birth_too_early",
                    {"earliest": "21.11.1906"},
                )
            ],
        ),
        (
            "0001-01-01",
            [
                FieldError(
                    "/applicant/date_of_birth",
                    "date_of_birth_too_early",
                    {"earliest": "21.11.1906"},
                )
            ],
        ),
        ("2999-01-01", [FieldError("/applicant/date_of_birth", "date_of_birth_in_future")]),
        ("2026-11-22", [FieldError("/applicant/date_of_birth", "date_of_birth_in_future")]),
    ],
)
def test_a_date_of_birth_must_lie_between_the_bounds(born: str, expected: list[FieldError]) -> None:
    document = _doc()
    document["applicant"]["date_of_birth"] = born
    assert apply_rules(FORM, document, TODAY) == expected


def test_a_date_of_birth_the_schema_refused_gets_no_age_error() -> None:
    document = _doc()
    document["applicant"]["date_of_birth"] = "0001-13-01"
    assert apply_rules(FORM, document, TODAY) == []
    document["applicant"]["date_of_birth"] = "2999-01-01"
    assert apply_rules(FORM, document, TODAY, refused={"/applicant/date_of_birth"}) == []


def test_normalise_document_canonicalises_plates_in_place() -> None:
    document = _doc(vehicle=_vehicle(["dn ab 123", "DN-XY 42e", 7], "company_car"))
    result = normalise_document(FORM, document)
    assert result is document
    assert document["vehicle"]["plates"] == ["DNAB123", "DNXY42E", 7]
    assert document["vehicle"]["relation"] == "company_car"


@pytest.mark.parametrize("vehicle", [None, "x", {"relation": "holder"}, {"plates": 7}])
def test_normalise_document_leaves_other_shapes_alone(vehicle: object) -> None:
    document = _doc(vehicle=copy.deepcopy(vehicle))
    assert normalise_document(FORM, document)["vehicle"] == vehicle


@pytest.mark.parametrize("relation", [1, "owner", "Company_Car", None])
def test_a_relation_the_schema_refused_adds_no_plate_error(relation: object) -> None:
    """The schema names the relation; blaming the plates as well would mislead the citizen."""
    document = _doc(vehicle=_vehicle(["DN-AB 1", "DN-AB 2"], relation))  # type: ignore[arg-type]
    assert apply_rules(FORM, document, TODAY, refused={"/vehicle/relation"}) == []


def test_the_plates_rule_still_runs_when_other_fields_were_refused() -> None:
    document = _doc(vehicle=_vehicle(["DN-AB 1", "DN-AB 2"], "holder"))
    assert apply_rules(FORM, document, TODAY, refused={"/zone", "/vehicle/plates/0"}) == [
        FieldError("/vehicle/plates", "plates_require_company_car")
    ]


def test_a_start_date_the_schema_refused_gets_no_rule_error() -> None:
    assert apply_rules(FORM, _doc(start_date="1970-01-01"), TODAY, refused={"/start_date"}) == []
