"""Pages from the schema, posted fields to JSON, links, cookies and CSRF: pure functions."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from chalicelib.domain.forms import FormDefinition
from chalicelib.services.form_registry import FormDefinitionError, FormRegistry
from chalicelib.services.links import CitizenLinks
from chalicelib.web import security
from chalicelib.web.i18n import choose_language
from chalicelib.web.questions.binding import apply_page, bind_page, displayed_values
from chalicelib.web.questions.model import RADIO_LIMIT, build_form_model
from tests.conftest import REPO_ROOT

SCHEMA = json.loads((REPO_ROOT / "schemas/resident-parking-permit.json").read_text())
MODEL = build_form_model(SCHEMA)


def test_one_page_per_group_and_x_page_groups_scalars_in_schema_order() -> None:
    assert [p.id for p in MODEL.pages] == [
        "applicant",
        "address",
        "permit",
        "vehicle",
        "declarations",
    ]
    permit = MODEL.page("permit")
    assert permit is not None and [f.pointer for f in permit.fields] == [
        "/zone",
        "/duration_months",
        "/start_date",
    ]
    assert permit.title == {"de": "Ausweis", "en": "Permit"}


def test_widgets_follow_type_format_and_enum() -> None:
    widgets = {f.pointer: f.widget for f in MODEL.fields}
    assert widgets["/applicant/date_of_birth"] == "date"
    assert widgets["/applicant/email"] == "email"
    assert widgets["/zone"] == ("select" if RADIO_LIMIT < 14 else "radios")
    assert widgets["/duration_months"] == "radios"
    assert widgets["/declarations/truthful"] == "checkbox"
    assert widgets["/vehicle/plates"] == "list"
    assert widgets["/address/city"] == "fixed"


def test_follow_up_question_comes_from_if_then() -> None:
    follow_up = next(f for f in MODEL.fields if f.pointer == "/vehicle/holder_confirmation")
    assert follow_up.condition is not None and follow_up.required
    assert follow_up.condition.holds({"vehicle": {"relation": "leased"}})
    assert not follow_up.condition.holds({"vehicle": {"relation": "holder"}})
    assert follow_up.hint is not None and "Ich bin Halterin / Halter" in follow_up.hint["de"]


def test_binding_keeps_what_was_typed_and_round_trips_an_example() -> None:
    example = SCHEMA["examples"][1]
    document: dict[str, object] = {}
    for page in MODEL.pages:
        fields = {k: [v] for k, v in displayed_values(page, example).items()}
        document = apply_page(document, page, bind_page(page, fields))
    expected = copy.deepcopy(example)
    assert document == expected
    applicant = MODEL.page("applicant")
    assert applicant is not None
    posted = bind_page(
        applicant,
        {
            "applicant.date_of_birth.day": ["31"],
            "applicant.date_of_birth.month": ["2"],
            "applicant.date_of_birth.year": ["1990"],
        },
    )
    assert (
        posted.values["/applicant/date_of_birth"] == "1990-02-31"
    )  # refused by the validator, not here


def test_a_hidden_follow_up_answer_is_dropped() -> None:
    vehicle = MODEL.page("vehicle")
    assert vehicle is not None
    fields = {
        "vehicle.plates.0": ["DN-AB 1"],
        "vehicle.relation": ["holder"],
        "vehicle.holder_confirmation": ["true"],
    }
    document = apply_page({}, vehicle, bind_page(vehicle, fields))
    assert document["vehicle"] == {"plates": ["DN-AB 1"], "relation": "holder"}


def test_pdf_links_are_signed_for_one_application_and_expire() -> None:
    links = CitizenLinks("https://p.example", bytes(32))
    path = links.pdf_path("a" * 32, 1000)
    query = dict(part.split("=") for part in path.split("?")[1].split("&"))
    assert links.pdf_link_valid("a" * 32, query["expires"], query["sig"], 999)
    assert not links.pdf_link_valid("a" * 32, query["expires"], query["sig"], 1000)
    assert not links.pdf_link_valid("b" * 32, query["expires"], query["sig"], 999)
    assert not links.pdf_link_valid("a" * 32, "2000", query["sig"], 999)
    assert not links.pdf_link_valid("a" * 32, query["expires"], None, 999)


def test_resume_links_cannot_be_forged() -> None:
    links = CitizenLinks("https://p.example", bytes(32))
    url = links.resume_link("f", "d" * 32, "n" * 16)
    assert links.resume_target(url.rsplit("/", 1)[1]) == ("d" * 32, "n" * 16)
    assert links.resume_target(f"{'d' * 32}-{'n' * 16}.forged") is None


def test_csrf_token_is_bound_to_the_browsers_secret() -> None:
    key = bytes(32)
    token = security.csrf_token(key, "secret-1")
    assert security.csrf_matches(key, "secret-1", token)
    assert not security.csrf_matches(key, "secret-2", token)
    assert not security.csrf_matches(key, None, token)
    assert not security.csrf_matches(key, "secret-1", "")


def test_cookies_on_https_carry_secure_and_the_host_prefix() -> None:
    cookie = security.set_cookie("draft", "v", secure=True)
    assert cookie.startswith("__Host-draft=v") and "Secure" in cookie and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie and "Path=/" in cookie and "Domain" not in cookie
    local = security.set_cookie("draft", "v", secure=False)
    assert local.startswith("draft=v") and "Secure" not in local
    assert security.parse_cookies("__Host-draft=v; draft=w", secure=True) == {"draft": "v"}


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        ({}, None, None, ("de", False)),
        ({}, None, "en-GB,en;q=0.9", ("en", False)),
        ({"lang": "en"}, None, None, ("en", True)),
        ({}, "en", "de", ("en", False)),
        ({"lang": "de"}, "en", None, ("de", True)),
        ({"lang": "fr"}, None, None, ("de", False)),
    ],
)
def test_language_choice(
    query: dict[str, str], cookie: str | None, accept: str | None, expected: tuple[str, bool]
) -> None:
    assert choose_language(query, cookie, accept) == expected


def _registry_with(tmp_path: Path, change: object) -> FormRegistry:
    schema = copy.deepcopy(SCHEMA)
    change(schema)  # type: ignore[operator]
    (tmp_path / "_meta").mkdir()
    (tmp_path / "_meta/service-form.schema.json").write_text(
        (REPO_ROOT / "schemas/_meta/service-form.schema.json").read_text()
    )
    (tmp_path / "resident-parking-permit.json").write_text(json.dumps(schema))
    return FormRegistry(tmp_path)


def test_meta_schema_requires_english_labels(tmp_path: Path) -> None:
    registry = _registry_with(
        tmp_path, lambda s: s["properties"]["applicant"]["properties"]["email"].pop("x-en")
    )
    with pytest.raises(FormDefinitionError, match="x-en"):
        registry.load_all()


def test_meta_schema_requires_option_labels(tmp_path: Path) -> None:
    registry = _registry_with(tmp_path, lambda s: s["properties"]["zone"].pop("x-enum-titles"))
    with pytest.raises(FormDefinitionError, match="x-enum-titles"):
        registry.load_all()


def test_x_page_must_name_a_declared_page(tmp_path: Path) -> None:
    registry = _registry_with(
        tmp_path, lambda s: s["properties"]["zone"].update({"x-page": "elsewhere"})
    )
    with pytest.raises(FormDefinitionError, match="not in x-pages"):
        registry.load_all()


def test_email_pointer_is_found_in_the_schema() -> None:
    assert FormDefinition.from_schema(SCHEMA).email_pointer == "/applicant/email"
