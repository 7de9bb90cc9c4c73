"""``x-service.change_fee`` (issue 15): read into the form, checked by the meta-schema and
the form checks, and set for the demo resident permit (10 EUR, see docs/decisions.md)."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from chalicelib.config import APP_ROOT
from chalicelib.domain.forms import FormDefinition
from chalicelib.services.form_checks import check_form

RESIDENT = json.loads(
    (APP_ROOT / "schemas" / "resident-parking-permit.json").read_text(encoding="utf-8")
)
META = json.loads(
    (APP_ROOT / "schemas" / "_meta" / "service-form.schema.json").read_text(encoding="utf-8")
)


def _with_fee(fee: Any) -> dict[str, Any]:
    schema = copy.deepcopy(RESIDENT)
    if fee is None:
        del schema["x-service"]["change_fee"]
    else:
        schema["x-service"]["change_fee"] = fee
    return schema


def test_the_demo_resident_permit_charges_ten_euros_for_a_change() -> None:
    assert FormDefinition.from_schema(RESIDENT).change_fee_cents == 1000


def test_without_the_keyword_a_change_is_free() -> None:
    assert FormDefinition.from_schema(_with_fee(None)).change_fee_cents == 0


@pytest.mark.parametrize(
    "fee", [{"amount_cents": -1}, {"amount_cents": 10.5}, {}, {"amount_cents": 100, "x": 1}]
)
def test_the_meta_schema_refuses_a_malformed_change_fee(fee: dict[str, Any]) -> None:
    errors = list(Draft202012Validator(META).iter_errors(_with_fee(fee)))
    assert errors
    assert any("change_fee" in list(error.absolute_path) for error in errors)


@pytest.mark.parametrize(("cents", "refused"), [(0, False), (1, True), (49, True), (50, False)])
def test_the_form_checks_refuse_a_fee_too_small_to_pay_online(cents: int, refused: bool) -> None:
    form = FormDefinition.from_schema(_with_fee({"amount_cents": cents}))
    problems = [p for p in check_form(form, None, date(2026, 12, 1)) if "change_fee" in p.pointer]
    assert bool(problems) is refused
