"""The form registry: the real forms load and pass the meta-schema; broken forms fail loudly.

A staff member who breaks a form must learn which file and which JSON pointer is wrong before
the form is published, so every broken form below is written to a temporary schemas folder
(with the real meta-schema beside it) and must raise FormDefinitionError naming both.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from chalicelib.config import APP_ROOT
from chalicelib.domain.forms import schema_hash
from chalicelib.services.form_registry import FormDefinitionError, FormRegistry

SCHEMAS = APP_ROOT / "schemas"
META = json.loads((SCHEMAS / "_meta" / "service-form.schema.json").read_text("utf-8"))
FORM_FILES = sorted(SCHEMAS.glob("*.json"))
BASE = json.loads((SCHEMAS / "resident-parking-permit.json").read_text("utf-8"))
FILE = "resident-parking-permit.json"


# -- the real forms -----------------------------------------------------------------------


def test_there_is_at_least_the_resident_parking_form() -> None:
    assert "resident-parking-permit.json" in [path.name for path in FORM_FILES]


@pytest.mark.parametrize("path", FORM_FILES, ids=lambda p: p.name)
def test_every_form_passes_the_meta_schema(path: Path) -> None:
    schema = json.loads(path.read_text("utf-8"))
    problems = [error.message for error in Draft202012Validator(META).iter_errors(schema)]
    assert problems == []
    Draft202012Validator.check_schema(schema)
    assert schema["x-service"]["id"] == path.stem


@pytest.mark.parametrize("path", FORM_FILES, ids=lambda p: p.name)
def test_every_example_passes_its_own_form(path: Path) -> None:
    registry = FormRegistry(SCHEMAS)
    form = registry.load_all()[path.stem]
    validator = registry.validator(form)
    for example in form.schema["examples"]:
        assert list(validator.iter_errors(example)) == []
        assert form.fee_on(example, date(2026, 11, 21)) is not None


def test_load_all_reads_every_form_file() -> None:
    forms = FormRegistry(SCHEMAS).load_all()
    assert sorted(forms) == sorted(path.stem for path in FORM_FILES)
    form = forms["resident-parking-permit"]
    assert (form.id, form.version, form.currency) == ("resident-parking-permit", 1, "EUR")
    assert form.title == {"de": "Bewohnerparkausweis", "en": "Resident parking permit"}
    (table,) = form.fees.tables
    assert (table.kind, table.rule["by"]) == ("by_option", "/duration_months")
    assert table.rule["amounts_cents"] == {"6": 1500, "12": 3000, "24": 6000}
    assert form.schema_hash == schema_hash(BASE)
    assert form.rules.start_max_ahead == (3, "months")
    assert form.rules.one_active_permit_per_plate
    assert form.permit.duration.unit == "months"


def test_load_all_is_cached() -> None:
    registry = FormRegistry(SCHEMAS)
    assert registry.load_all() is registry.load_all()


def test_validators_are_compiled_once_per_form_version(tmp_path: Path) -> None:
    registry = FormRegistry(SCHEMAS)
    form = registry.get("resident-parking-permit")
    assert form is not None
    first = registry.validator(form)
    assert registry.validator(form) is first
    assert registry.validator(registry.load_all()["resident-parking-permit"]) is first
    # A new version of the form is a new validator.
    newer = copy.deepcopy(BASE)
    newer["x-service"]["version"] = 2
    other = FormRegistry(_schemas_dir(tmp_path, {FILE: newer}))
    newer_form = other.get("resident-parking-permit")
    assert newer_form is not None and newer_form.version == 2
    assert other.validator(newer_form) is not first
    assert other.validator(newer_form) is other.validator(newer_form)


def test_the_validator_checks_formats() -> None:
    registry = FormRegistry(SCHEMAS)
    form = registry.load_all()["resident-parking-permit"]
    example = copy.deepcopy(BASE["examples"][0])
    example["applicant"]["date_of_birth"] = "1984-02-30"
    assert [e.validator for e in registry.validator(form).iter_errors(example)] == ["format"]


@pytest.mark.parametrize(
    "form_id",
    [
        "",
        "..",
        "../schemas/resident-parking-permit",
        "..%2Fresident-parking-permit",
        "_meta/service-form.schema",
        "_meta",
        "Resident-Parking-Permit",
        "resident-parking-permit\n",
        "resident-parking-permit.json",
        "resident-parking-permit/",
        "nope",
    ],
)
def test_get_refuses_unknown_and_malformed_ids(form_id: str) -> None:
    assert FormRegistry(SCHEMAS).get(form_id) is None


# -- broken forms -------------------------------------------------------------------------


def _schemas_dir(root: Path, files: dict[str, Any]) -> Path:
    """A schemas folder holding the real meta-schema and ``files`` (dicts as JSON, bytes raw)."""
    directory = root / "schemas"
    shutil.copytree(SCHEMAS / "_meta", directory / "_meta")
    for name, content in files.items():
        raw = content if isinstance(content, bytes) else json.dumps(content).encode("utf-8")
        (directory / name).write_bytes(raw)
    return directory


def _broken(
    tmp_path: Path, change: Callable[[dict[str, Any]], object], name: str = FILE
) -> FormDefinitionError:
    schema = copy.deepcopy(BASE)
    change(schema)
    directory = _schemas_dir(tmp_path, {name: schema})
    with pytest.raises(FormDefinitionError) as caught:
        FormRegistry(directory).load_all()
    assert caught.value.file == directory / name
    assert str(caught.value).startswith(f"{name}: at '{caught.value.pointer or '/'}': ")
    return caught.value


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def change(schema: dict[str, Any]) -> None:
        *parents, last = path.strip("/").split("/")
        target: Any = schema
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        target[int(last) if isinstance(target, list) else last] = value

    return change


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def change(schema: dict[str, Any]) -> None:
        *parents, last = path.strip("/").split("/")
        target: Any = schema
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        del target[int(last) if isinstance(target, list) else last]

    return change


@pytest.mark.parametrize(
    ("change", "pointer", "problem"),
    [
        # The fee tables: a price as text, a negative price, a field of another kind.
        (
            _set("/x-service/fee/tables/0/amounts_cents/12", "3000"),
            "/x-service/fee/tables/0/amounts_cents/12",
            "'3000' is not of type 'integer'",
        ),
        (
            _set("/x-service/fee/tables/0/amounts_cents/6", -1),
            "/x-service/fee/tables/0/amounts_cents/6",
            "-1 is less than the minimum of 0",
        ),
        (
            _set("/x-service/fee/tables/0/amounts_cents/6", 15.5),
            "/x-service/fee/tables/0/amounts_cents/6",
            "15.5 is not of type 'integer'",
        ),
        (_set("/x-service/fee/currency", "USD"), "/x-service/fee/currency", "'EUR' was expected"),
        (_set("/x-service/fee/tables/0/amount_cents", 1000), "/x-service/fee/tables/0", None),
        (_set("/x-service/fee/tables/0/by", "duration_months"), "/x-service/fee/tables/0/by", None),
        (_set("/x-service/fee/tables/0/kind", "by_colour"), "/x-service/fee/tables/0/kind", None),
        (
            _set("/x-service/fee/tables/0/effective_from", "2024-02-30"),
            "/x-service/fee/tables/0/effective_from",
            None,
        ),
        # Missing parts name the missing member, not its parent.
        (_delete("/examples"), "/examples", "'examples' is a required property"),
        (_set("/examples", []), "/examples", "[] should be non-empty"),
        (_delete("/x-service/id"), "/x-service/id", "'id' is a required property"),
        (_delete("/x-service/fee"), "/x-service/fee", "'fee' is a required property"),
        (_delete("/x-service/title/en"), "/x-service/title/en", "'en' is a required property"),
        # The service block.
        (_set("/x-service/version", 0), "/x-service/version", "0 is less than the minimum of 1"),
        (_set("/x-service/version", "1"), "/x-service/version", "'1' is not of type 'integer'"),
        (_set("/x-service/unknown", 1), "/x-service", None),
        (
            _set("/x-service/rules/start_date/max_ahead/months", 13),
            "/x-service/rules/start_date/max_ahead/months",
            "13 is greater than the maximum of 12",
        ),
        (
            _set("/x-service/document/template", "../secret.pdf"),
            "/x-service/document/template",
            None,
        ),
        (_set("/x-service/rules/no_such_rule", True), "/x-service/rules", None),
        (_set("/x-service/permit/duration/unit", "weeks"), "/x-service/permit/duration/unit", None),
        # The form itself must be a closed object schema.
        (_set("/additionalProperties", True), "/additionalProperties", "False was expected"),
        (_set("/type", "array"), "/type", "'object' was expected"),
        (_set("/properties/zone/type", "strnig"), "/properties/zone/type", None),
        (_set("/properties/zone/pattern", "(["), "/properties/zone/pattern", None),
        # Examples must pass their own form and have a price.
        (_set("/examples/0/zone", "Z"), "/examples/0/zone", None),
        (
            _set("/examples/1/duration_months", "6"),
            "/examples/1/duration_months",
            "'6' is not of type 'integer'",
        ),
        (
            _delete("/examples/1/applicant/email"),
            "/examples/1/applicant/email",
            "'email' is a required property",
        ),
        (
            _set("/examples/0/applicant/date_of_birth", "1984-02-30"),
            "/examples/0/applicant/date_of_birth",
            "'1984-02-30' is not a 'date'",
        ),
        (_set("/examples/0/address/postcode", "52349\n"), "/examples/0/address/postcode", None),
        (_set("/examples/0", "not an object"), "/examples/0", None),
        (
            _delete("/x-service/fee/tables/0/amounts_cents/12"),
            "/x-service/fee/tables/0/amounts_cents",
            "no amount for option '12' of /duration_months",
        ),
    ],
)
def test_a_broken_form_names_the_file_and_the_pointer(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], pointer: str, problem: str | None
) -> None:
    error = _broken(tmp_path, change)
    assert error.pointer == pointer
    if problem is not None:
        assert error.problem == problem


@pytest.mark.parametrize(
    "pointer_path",
    [
        "/x-service/permit/plates",
        "/x-service/permit/zone/entered",
        "/x-service/permit/zone/from_address/street",
        "/x-service/permit/start_date",
        "/x-service/permit/duration/pointer",
        "/x-service/fee/tables/0/by",
        "/x-service/rules/several_plates_only_for/pointer",
        "/x-service/rules/ages/0/pointer",
    ],
)
def test_service_pointers_must_name_a_property_of_the_form(
    tmp_path: Path, pointer_path: str
) -> None:
    """A typo here would silently switch off plate checks, start dates or pricing."""
    error = _broken(tmp_path, _set(pointer_path, "/vehicle/no_such_field"))
    assert error.pointer == pointer_path
    assert "/vehicle/no_such_field" in error.problem


def test_a_pointer_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    """In Python `$` matches before a final newline; JSON Schema (ECMA-262) `$` does not."""
    error = _broken(tmp_path, _set("/x-service/permit/plates", "/vehicle/plates\n"))
    assert error.pointer == "/x-service/permit/plates"


def test_the_id_must_match_the_file_name(tmp_path: Path) -> None:
    error = _broken(tmp_path, lambda schema: None, name="resident-parking.json")
    assert error.pointer == "/x-service/id"
    assert error.problem == "id must match file name 'resident-parking'"


@pytest.mark.parametrize(
    ("raw", "problem_start"),
    [
        (b"{", "not JSON: "),
        (b"", "not JSON: "),
        (b'{"a": 1} trailing', "not JSON: "),
        (b"\xff\xfe{\x00}\x00", "not UTF-8 JSON: "),
        (b'{"title": "Stra\xdfe"}', "not UTF-8 JSON: "),  # Latin-1, as some editors save
    ],
)
def test_a_file_that_is_not_json_names_the_file(
    tmp_path: Path, raw: bytes, problem_start: str
) -> None:
    directory = _schemas_dir(tmp_path, {"broken.json": raw})
    with pytest.raises(FormDefinitionError) as caught:
        FormRegistry(directory).load_all()
    assert caught.value.file == directory / "broken.json"
    assert caught.value.pointer == ""
    assert caught.value.problem.startswith(problem_start)
    assert str(caught.value).startswith("broken.json: at '/': ")


@pytest.mark.parametrize("document", [[], "form", 42, None])
def test_a_file_that_is_not_an_object_names_the_file(tmp_path: Path, document: object) -> None:
    directory = _schemas_dir(tmp_path, {"broken.json": json.dumps(document).encode()})
    with pytest.raises(FormDefinitionError) as caught:
        FormRegistry(directory).load_all()
    assert (caught.value.file.name, caught.value.pointer) == ("broken.json", "")


def test_one_broken_form_stops_the_whole_catalogue(tmp_path: Path) -> None:
    """Fail loudly and early: no partial catalogue is published."""
    good = copy.deepcopy(BASE)
    directory = _schemas_dir(tmp_path, {FILE: good, "zzz.json": b"{"})
    with pytest.raises(FormDefinitionError):
        FormRegistry(directory).load_all()


def test_a_second_valid_form_is_published_too(tmp_path: Path) -> None:
    second = copy.deepcopy(BASE)
    second["x-service"]["id"] = "visitor-parking-permit"
    second["x-service"]["permit"]["type"] = 2
    flat = {"effective_from": "2024-01-01", "kind": "flat", "amount_cents": 0}
    second["x-service"]["fee"] = {"currency": "EUR", "tables": [flat]}
    directory = _schemas_dir(
        tmp_path, {FILE: copy.deepcopy(BASE), "visitor-parking-permit.json": second}
    )
    forms = FormRegistry(directory).load_all()
    assert sorted(forms) == ["resident-parking-permit", "visitor-parking-permit"]
    (table,) = forms["visitor-parking-permit"].fees.tables
    assert (table.kind, table.rule["amount_cents"]) == ("flat", 0)


def test_two_forms_cannot_share_a_permit_type(tmp_path: Path) -> None:
    """The token's type byte tells an officer what kind of permit it is."""
    second = copy.deepcopy(BASE)
    second["x-service"]["id"] = "second-form"
    directory = _schemas_dir(tmp_path, {FILE: copy.deepcopy(BASE), "second-form.json": second})
    with pytest.raises(FormDefinitionError) as caught:
        FormRegistry(directory).load_all()
    assert caught.value.file.name == "second-form.json"
    assert caught.value.pointer == "/x-service/permit/type"
    assert "already resident-parking-permit's" in caught.value.problem


def test_the_meta_folder_is_not_a_form(tmp_path: Path) -> None:
    directory = _schemas_dir(tmp_path, {FILE: copy.deepcopy(BASE)})
    assert sorted(FormRegistry(directory).load_all()) == ["resident-parking-permit"]


# -- JSON Schema patterns mean what JSON Schema (ECMA-262) says -----------------------------


@pytest.mark.parametrize(
    ("pointer", "value"),
    [
        ("/address/postcode", "52349\n"),
        ("/address/house_number", "7a\n"),
        ("/vehicle/plates/0", "DN AB 123\n"),
    ],
)
def test_a_trailing_newline_does_not_pass_a_dollar_anchored_pattern(
    pointer: str, value: str
) -> None:
    registry = FormRegistry(SCHEMAS)
    form = registry.load_all()["resident-parking-permit"]
    example = copy.deepcopy(BASE["examples"][0])
    *parents, last = pointer.strip("/").split("/")
    target: Any = example
    for part in parents:
        target = target[part]
    target[int(last) if isinstance(target, list) else last] = value
    errors = list(registry.validator(form).iter_errors(example))
    assert [(e.validator, "/" + "/".join(map(str, e.absolute_path))) for e in errors] == [
        ("pattern", pointer)
    ]


@pytest.mark.parametrize(
    ("pattern", "accepted", "refused"),
    [
        # ECMA-262 \d is ASCII only; Python's would take Arabic-Indic digits.
        ("^\\d{5}$", ["52349"], ["\u0665\u0662\u0663\u0664\u0669", "52349\n", "5234"]),
        ("^[\\d-]+$", ["1-2"], ["\u0661-\u0662"]),
        ("^[$]\\d$", ["$5"], ["5"]),  # `$` inside a class stays a literal dollar
        ("^a\\$$", ["a$"], ["a", "a$\n"]),  # so does an escaped one
        ("b$", ["ab"], ["ab\n", "ba"]),
    ],
)
def test_patterns_follow_ecma_262(
    tmp_path: Path, pattern: str, accepted: list[str], refused: list[str]
) -> None:
    schema = copy.deepcopy(BASE)
    schema["properties"]["address"]["properties"]["postcode"]["pattern"] = pattern
    for example in schema["examples"]:
        example["address"]["postcode"] = accepted[0]
    registry = FormRegistry(_schemas_dir(tmp_path, {FILE: schema}))
    form = registry.load_all()["resident-parking-permit"]
    validator = registry.validator(form)
    example = copy.deepcopy(schema["examples"][0])
    for value in accepted:
        example["address"]["postcode"] = value
        assert list(validator.iter_errors(example)) == []
    for value in refused:
        example["address"]["postcode"] = value
        assert [e.validator for e in validator.iter_errors(example)] == ["pattern"]
