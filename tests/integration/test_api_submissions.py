"""POST /api/forms/{form_id}/applications and GET /api/applications/{id}, end to end.

Every request goes through the Chalice test client into the real services and a fresh
DynamoDB table over HTTP. Every refused request is checked three ways: the status code, the
problem body naming the field (pointer, code, message), and a table that did not change.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.config import APP_ROOT
from tests.conftest import FixedClock, table_items

SCHEMAS = APP_ROOT / "schemas"
FORM_FILES = sorted(SCHEMAS.glob("*.json"))
RPP = "resident-parking-permit"
SUBMIT = f"/api/forms/{RPP}/applications"
JSON = {"Content-Type": "application/json"}
PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://permit-service.example/problems/"
BASE = json.loads((SCHEMAS / f"{RPP}.json").read_text("utf-8"))
HOLDER = BASE["examples"][0]  # one plate, relation holder, no start date
COMPANY = BASE["examples"][1]  # two plates, company car with the keeper's confirmation
NOT_FOUND = {"type": TYPE_BASE + "not-found", "title": "Nicht gefunden / Not found", "status": 404}
BLANK = "Bitte ausfüllen – nur Leerzeichen reichen nicht."

Snapshot = Callable[[], list[dict[str, Any]]]


# -- helpers ------------------------------------------------------------------------------


def _examples() -> list[tuple[str, int, dict[str, Any]]]:
    cases = []
    for path in FORM_FILES:
        schema = json.loads(path.read_text("utf-8"))
        for index, example in enumerate(schema["examples"]):
            cases.append((path.stem, index, example))
    return cases


def _fee(form_id: str, document: dict[str, Any], day: str = "2026-11-21") -> dict[str, Any]:
    """The fee straight from the form file's table in force on ``day`` (the test clock's).

    Independent of the service's code: the tables these forms use are flat, by option or
    per unit.
    """
    fee = json.loads((SCHEMAS / f"{form_id}.json").read_text("utf-8"))["x-service"]["fee"]
    table = [t for t in fee["tables"] if t["effective_from"] <= day][-1]
    if table["kind"] == "flat":
        return {"amount_cents": table["amount_cents"], "currency": fee["currency"]}
    choice = document
    for part in table["by"].strip("/").split("/"):
        choice = choice[part]
    if table["kind"] == "per_unit":
        return {"amount_cents": int(choice) * table["rate_cents"], "currency": fee["currency"]}
    return {"amount_cents": table["amounts_cents"][str(choice)], "currency": fee["currency"]}


def _canonical_hash(schema: dict[str, Any]) -> str:
    text = json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _post(client: Any, body: Any, headers: dict[str, str] | None = None, path: str = SUBMIT) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return client.http.post(path, headers={**JSON, **(headers or {})}, body=raw)


def _with(document: dict[str, Any], pointer: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``document`` with the member at ``pointer`` set (created if absent)."""
    result = copy.deepcopy(document)
    *parents, last = pointer.strip("/").split("/")
    target: Any = result
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return result


def _without(document: dict[str, Any], pointer: str) -> dict[str, Any]:
    result = copy.deepcopy(document)
    *parents, last = pointer.strip("/").split("/")
    target: Any = result
    for part in parents:
        target = target[part]
    del target[last]
    return result


def _applications(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for item in items if item["type"]["S"] == "application"]


def _stored(dynamodb_client: Any, table_name: str, application_id: str) -> dict[str, Any]:
    item = dynamodb_client.get_item(
        TableName=table_name,
        Key={"PK": {"S": f"APP#{application_id}"}, "SK": {"S": "A"}},
        ConsistentRead=True,
    )["Item"]
    assert isinstance(item, dict)
    return item


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.body
    assert response.headers["Content-Type"] == PROBLEM_JSON
    body: dict[str, Any] = json.loads(response.body)
    assert body["status"] == status
    return body


def _errors(response: Any) -> list[tuple[str, str]]:
    body = _problem(response, 422)
    assert body["type"] == TYPE_BASE + "validation-failed"
    for error in body["errors"]:
        assert set(error) == {"pointer", "code", "message"}
        assert error["message"] and "{" not in error["message"]
    return [(error["pointer"], error["code"]) for error in body["errors"]]


@pytest.fixture
def snapshot(dynamodb_client: Any, table_name: str) -> Snapshot:
    def take() -> list[dict[str, Any]]:
        items = table_items(dynamodb_client, table_name)
        return sorted(items, key=lambda i: (i["PK"]["S"], i["SK"]["S"]))

    return take


@pytest.fixture
def seeded(client: Any, snapshot: Snapshot) -> list[dict[str, Any]]:
    """One application already in the table, so "nothing changed" compares a non-empty table."""
    response = _post(client, COMPANY)
    assert response.status_code == 201
    before = snapshot()
    assert len(_applications(before)) == 1
    return before


# -- valid submissions --------------------------------------------------------------------


@pytest.mark.parametrize(("form_id", "index", "example"), _examples(), ids=lambda v: str(v)[:30])
def test_every_example_of_every_form_is_accepted(
    client: Any, dynamodb_client: Any, table_name: str, form_id: str, index: int, example: Any
) -> None:
    response = _post(client, example, path=f"/api/forms/{form_id}/applications")
    assert response.status_code == 201, response.body
    assert response.headers["Content-Type"] == "application/json"
    body = json.loads(response.body)
    assert set(body) == {"id", "status", "access_token", "fee"}
    assert body["status"] == "SUBMITTED"
    fee = body["fee"]
    assert {"amount_cents": fee["amount_cents"], "currency": fee["currency"]} == _fee(
        form_id, example
    )
    assert fee["breakdown"]["effective_from"] <= "2026-11-21"
    assert set(fee["breakdown"]["explanation"]) == {"de", "en"}
    assert len(body["access_token"]) >= 22  # >= 128 bits in url-safe base64
    assert set(body["access_token"]) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )
    assert response.headers["Location"] == f"/api/applications/{body['id']}"

    schema = json.loads((SCHEMAS / f"{form_id}.json").read_text("utf-8"))
    item = _stored(dynamodb_client, table_name, body["id"])
    assert item["form_id"] == {"S": form_id}
    assert item["form_version"] == {"N": str(schema["x-service"]["version"])}
    assert item["schema_hash"] == {"S": _canonical_hash(schema)}
    assert item["status"] == {"S": "SUBMITTED"}
    assert item["fee_cents"] == {"N": str(body["fee"]["amount_cents"])}
    token = body["access_token"]
    assert item["access_token_hash"] == {"S": hashlib.sha256(token.encode()).hexdigest()}
    everything = table_items(dynamodb_client, table_name)
    assert token not in json.dumps(everything)


def test_two_submissions_get_different_ids_and_tokens(client: Any) -> None:
    first = json.loads(_post(client, HOLDER).body)
    second = json.loads(_post(client, HOLDER).body)
    assert first["id"] != second["id"]
    assert first["access_token"] != second["access_token"]


def test_the_stored_document_is_normalised_and_dated(
    client: Any, dynamodb_client: Any, table_name: str
) -> None:
    response = _post(client, HOLDER)  # plates ["dn ab 123"], no start date
    body = json.loads(response.body)
    data = json.loads(_stored(dynamodb_client, table_name, body["id"])["data"]["S"])
    assert data["vehicle"]["plates"] == ["DNAB123"]
    assert data["start_date"] == "2026-11-21"
    assert data["applicant"] == HOLDER["applicant"]  # names kept exactly (Öztürk, Gülşen Ayşe)
    assert data == {
        **HOLDER,
        "vehicle": {"plates": ["DNAB123"], "relation": "holder"},
        "start_date": "2026-11-21",
    }


def test_an_omitted_start_date_is_todays_date_in_berlin(
    client: Any, clock: FixedClock, dynamodb_client: Any, table_name: str
) -> None:
    clock.advance(hours=13, minutes=30)  # 23:30 UTC on 21 Nov is 00:30 on 22 Nov in Berlin
    body = json.loads(_post(client, HOLDER).body)
    data = json.loads(_stored(dynamodb_client, table_name, body["id"])["data"]["S"])
    assert data["start_date"] == "2026-11-22"


def test_a_given_start_date_is_kept(client: Any, dynamodb_client: Any, table_name: str) -> None:
    body = json.loads(_post(client, _with(HOLDER, "/start_date", "2027-01-01")).body)
    data = json.loads(_stored(dynamodb_client, table_name, body["id"])["data"]["S"])
    assert data["start_date"] == "2027-01-01"


@pytest.mark.parametrize(
    ("plates", "stored"),
    [
        (["dn ab 123"], ["DNAB123"]),
        (["DN-AB 123"], ["DNAB123"]),
        (["  dn-ab 123  "], ["DNAB123"]),
        (["lö ab 12"], ["LÖAB12"]),
        (["m x 1e"], ["MX1E"]),
    ],
)
def test_plates_in_lower_case_or_with_spaces_are_normalised(
    client: Any, dynamodb_client: Any, table_name: str, plates: list[str], stored: list[str]
) -> None:
    response = _post(client, _with(HOLDER, "/vehicle/plates", plates))
    assert response.status_code == 201, response.body
    data = json.loads(
        _stored(dynamodb_client, table_name, json.loads(response.body)["id"])["data"]["S"]
    )
    assert data["vehicle"]["plates"] == stored


@pytest.mark.parametrize("start", ["2026-11-21", "2027-02-21"])
def test_the_start_date_window_is_inclusive(client: Any, start: str) -> None:
    assert _post(client, _with(HOLDER, "/start_date", start)).status_code == 201


# -- reading the status -------------------------------------------------------------------


def test_the_status_is_read_with_the_access_token(client: Any, clock: FixedClock) -> None:
    created = json.loads(_post(client, HOLDER).body)
    clock.advance(minutes=5)
    response = client.http.get(
        f"/api/applications/{created['id']}",
        headers={"Authorization": f"Bearer {created['access_token']}"},
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert json.loads(response.body) == {
        "id": created["id"],
        "form_id": RPP,
        "status": "SUBMITTED",
        "fee": {
            "amount_cents": 3000,
            "currency": "EUR",
            "breakdown": {
                "kind": "by_option",
                "effective_from": "2024-01-01",
                "explanation": {
                    "de": "Gültigkeitsdauer: 12 – 30,00 €",
                    "en": "Period of validity: 12 – €30.00",  # the field's x-en title
                },
                "inputs": {"/duration_months": "12"},
            },
        },
        "created_at": "2026-11-21T10:00:00+00:00",
        "updated_at": "2026-11-21T10:00:00+00:00",
    }


def test_the_token_of_another_application_is_404(client: Any) -> None:
    mine = json.loads(_post(client, HOLDER).body)
    theirs = json.loads(_post(client, COMPANY).body)
    response = client.http.get(
        f"/api/applications/{theirs['id']}",
        headers={"Authorization": f"Bearer {mine['access_token']}"},
    )
    assert _problem(response, 404) == NOT_FOUND


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token {token}",
        "Bearer {token} extra",
        "Bearer {token}x",
        "Bearer {token_upper}",
        "Bearer {token_short}",
        "{token}",
        "Bearer " + "A" * 129,
        "Bearer ä" + "a" * 30,
    ],
)
def test_a_missing_or_malformed_authorization_looks_like_an_unknown_id(
    client: Any, authorization: str | None
) -> None:
    created = json.loads(_post(client, HOLDER).body)
    token = created["access_token"]
    headers = {}
    if authorization is not None:
        headers["Authorization"] = authorization.format(
            token=token, token_upper=token.upper(), token_short=token[:-1]
        )
    mine = client.http.get(f"/api/applications/{created['id']}", headers=headers)
    unknown = client.http.get(
        "/api/applications/" + "0" * 32, headers={"Authorization": f"Bearer {token}"}
    )
    assert _problem(mine, 404) == NOT_FOUND
    assert mine.body == unknown.body


@pytest.mark.parametrize("application_id", ["0" * 32, "not-an-id", "A" * 32, "0" * 31, "..%2F"])
def test_unknown_or_malformed_ids_are_404(client: Any, application_id: str) -> None:
    created = json.loads(_post(client, HOLDER).body)
    response = client.http.get(
        f"/api/applications/{application_id}",
        headers={"Authorization": f"Bearer {created['access_token']}"},
    )
    assert _problem(response, 404) == NOT_FOUND


# -- bodies that are not a form document --------------------------------------------------


def test_malformed_json_is_400(client: Any, seeded: list[Any], snapshot: Snapshot) -> None:
    body = _problem(_post(client, b'{"zone": "C",'), 400)
    assert body["type"] == TYPE_BASE + "malformed-json"
    assert snapshot() == seeded


@pytest.mark.parametrize(
    "raw", [b'{"zone": NaN}', b'{"zone": Infinity}', b"\xff\xfe{}", b"{'zone': 'C'}", b"{}{}"]
)
def test_other_invalid_json_is_400(
    client: Any, seeded: list[Any], snapshot: Snapshot, raw: bytes
) -> None:
    body = _problem(_post(client, raw), 400)
    assert body["type"] == TYPE_BASE + "malformed-json"
    assert snapshot() == seeded


def test_an_empty_body_is_400(client: Any, seeded: list[Any], snapshot: Snapshot) -> None:
    body = _problem(_post(client, b""), 400)
    assert body["type"] == TYPE_BASE + "malformed-json"
    assert snapshot() == seeded


@pytest.mark.parametrize("raw", [b"[]", b'"x"', b"42", b"null", b"true", b'[{"zone": "C"}]'])
def test_json_that_is_not_an_object_is_422_at_the_root(
    client: Any, seeded: list[Any], snapshot: Snapshot, raw: bytes
) -> None:
    response = _post(client, raw)
    assert _errors(response) == [("", "type")]
    assert json.loads(response.body)["errors"][0]["message"] == (
        "Falscher Typ: erwartet wird Objekt/object."
    )
    assert snapshot() == seeded


def test_a_megabyte_string_is_413(client: Any, seeded: list[Any], snapshot: Snapshot) -> None:
    document = _with(HOLDER, "/applicant/family_name", "x" * 1_000_000)
    body = _problem(_post(client, document), 413)
    assert body["type"] == TYPE_BASE + "body-too-large"
    assert snapshot() == seeded


def test_json_nested_ten_thousand_deep_is_400(
    client: Any, seeded: list[Any], snapshot: Snapshot
) -> None:
    raw = b'{"zone": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    body = _problem(_post(client, raw), 400)
    assert body["type"] == TYPE_BASE + "malformed-json"
    assert snapshot() == seeded


# -- wrong types, one field at a time -----------------------------------------------------

STRING = "Falscher Typ: erwartet wird Text/string."
OBJECT = "Falscher Typ: erwartet wird Objekt/object."
ARRAY = "Falscher Typ: erwartet wird Liste/list."
INTEGER = "Falscher Typ: erwartet wird Ganzzahl/integer."
BOOLEAN = "Falscher Typ: erwartet wird true/false."
TRUE = "Dieser Wert muss true sein."

WRONG_TYPES = [
    # (base document, pointer, wrong value, code, German message)
    (HOLDER, "/applicant", "Öztürk", "type", OBJECT),
    (HOLDER, "/applicant/family_name", 1, "type", STRING),
    (HOLDER, "/applicant/given_names", ["Gülşen"], "type", STRING),
    (HOLDER, "/applicant/date_of_birth", 19840317, "type", STRING),
    (HOLDER, "/applicant/email", {"local": "x"}, "type", STRING),
    (HOLDER, "/address", ["Kaiserplatz 7a"], "type", OBJECT),
    (HOLDER, "/address/street", 7, "type", STRING),
    (HOLDER, "/address/house_number", 7, "type", STRING),
    (HOLDER, "/address/postcode", 52349, "type", STRING),
    (HOLDER, "/address/city", 1, "type", STRING),
    (
        HOLDER,
        "/address/main_residence",
        "true",
        "const",
        "Der Ausweis setzt den Hauptwohnsitz in der Zone voraus.",
    ),
    (HOLDER, "/zone", 3, "type", STRING),
    (HOLDER, "/vehicle", "DN AB 123", "type", OBJECT),
    (HOLDER, "/vehicle/plates", "DN AB 123", "type", ARRAY),
    (HOLDER, "/vehicle/plates/0", 123, "type", STRING),
    (COMPANY, "/vehicle/relation", 1, "type", STRING),
    (HOLDER, "/vehicle/holder_confirmation", "true", "type", BOOLEAN),
    (COMPANY, "/vehicle/holder_confirmation", 1, "type", BOOLEAN),
    (HOLDER, "/duration_months", "12", "type", INTEGER),
    (HOLDER, "/duration_months", 12.5, "type", INTEGER),
    (HOLDER, "/duration_months", True, "type", INTEGER),
    (HOLDER, "/start_date", 20261121, "type", STRING),
    (HOLDER, "/declarations", True, "type", OBJECT),
    (HOLDER, "/declarations/no_private_parking", "true", "const", TRUE),
    (HOLDER, "/declarations/truthful", 1, "const", TRUE),
]


def _field_pointers(schema: dict[str, Any], prefix: str = "") -> list[str]:
    """Every field the form declares, array items as their first element."""
    pointers = []
    for name, sub in schema.get("properties", {}).items():
        pointer = f"{prefix}/{name}"
        pointers.append(pointer)
        pointers += _field_pointers(sub, pointer)
        if isinstance(sub.get("items"), dict):
            pointers.append(f"{pointer}/0")
            pointers += _field_pointers(sub["items"], f"{pointer}/0")
    return pointers


def test_every_field_of_the_form_has_a_wrong_type_case() -> None:
    """A field added to the form without a case here fails this test."""
    covered = {case[1] for case in WRONG_TYPES}
    assert sorted(set(_field_pointers(BASE)) - covered) == []


@pytest.mark.parametrize(
    ("document", "pointer", "value", "code", "message"),
    WRONG_TYPES,
    ids=[f"{case[1]}={case[2]!r}"[:40] for case in WRONG_TYPES],
)
def test_a_wrong_type_names_the_field(
    client: Any,
    seeded: list[Any],
    snapshot: Snapshot,
    document: dict[str, Any],
    pointer: str,
    value: Any,
    code: str,
    message: str,
) -> None:
    response = _post(client, _with(document, pointer, value))
    body = _problem(response, 422)
    assert body["errors"] == [{"pointer": pointer, "code": code, "message": message}]
    assert snapshot() == seeded


@pytest.mark.parametrize(
    ("pointer", "value", "allowed"),
    [
        ("/zone", "Z", '"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N"'),
        ("/zone", "c", '"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N"'),
        ("/duration_months", 7, "6, 12, 24"),
        ("/vehicle/relation", "owner", '"holder", "company_car", "leased", "rented"'),
    ],
)
def test_a_value_outside_the_list_is_enum(
    client: Any, seeded: list[Any], snapshot: Snapshot, pointer: str, value: Any, allowed: str
) -> None:
    base = COMPANY if pointer == "/vehicle/relation" else HOLDER
    body = _problem(_post(client, _with(base, pointer, value)), 422)
    assert body["errors"] == [
        {"pointer": pointer, "code": "enum", "message": f"Bitte einen der Werte wählen: {allowed}."}
    ]
    assert snapshot() == seeded


def test_the_wrong_city_is_const(client: Any, seeded: list[Any], snapshot: Snapshot) -> None:
    body = _problem(_post(client, _with(HOLDER, "/address/city", "Düren")), 422)
    assert body["errors"] == [
        {
            "pointer": "/address/city",
            "code": "const",
            "message": 'Dieser Wert muss "Musterstadt" sein.',
        }
    ]
    assert snapshot() == seeded


@pytest.mark.parametrize(
    ("pointer", "value", "code", "message"),
    [
        ("/address/postcode", "5234", "pattern", "Die Postleitzahl hat fünf Ziffern."),
        ("/address/postcode", "52349\n", "pattern", "Die Postleitzahl hat fünf Ziffern."),
        (
            "/address/house_number",
            "0",
            "pattern",
            "Bitte eine Hausnummer wie 12, 12a oder 12-14 angeben.",
        ),
        (
            "/vehicle/plates/0",
            "DN AB 0123",
            "pattern",
            "Kein gültiges deutsches Kennzeichen (Beispiel: DN-AB 123).",
        ),
        ("/applicant/family_name", "", "minLength", "Mindestens 1 Zeichen."),
        ("/applicant/family_name", "x" * 41, "maxLength", "Höchstens 40 Zeichen."),
        ("/applicant/given_names", "x" * 56, "maxLength", "Höchstens 55 Zeichen."),
        ("/address/street", "x" * 56, "maxLength", "Höchstens 55 Zeichen."),
        ("/vehicle/plates", [], "minItems", "Mindestens 1 Einträge."),
        ("/applicant/email", "no-at-sign", "format", "Kein gültiges Format (email)."),
        # Issue 9 item 6: only spaces is no name (and would print a blank holder line) ...
        ("/applicant/family_name", "   ", "not", BLANK),
        ("/applicant/given_names", " \u00a0 ", "not", BLANK),
        ("/address/street", "  ", "not", BLANK),
        # ... and a date of birth must be a plausible one.
        (
            "/applicant/date_of_birth",
            "0001-01-01",
            "date_of_birth_too_early",
            "Bitte prüfen Sie das Geburtsdatum (frühestens 21.11.1906).",
        ),
        (
            "/applicant/date_of_birth",
            "2999-01-01",
            "date_of_birth_in_future",
            "Das Geburtsdatum liegt in der Zukunft.",
        ),
    ],
)
def test_other_schema_errors_name_the_field(
    client: Any,
    seeded: list[Any],
    snapshot: Snapshot,
    pointer: str,
    value: Any,
    code: str,
    message: str,
) -> None:
    body = _problem(_post(client, _with(HOLDER, pointer, value)), 422)
    assert body["errors"] == [{"pointer": pointer, "code": code, "message": message}]
    assert snapshot() == seeded


def test_every_failing_field_is_listed_once(
    client: Any, seeded: list[Any], snapshot: Snapshot
) -> None:
    document = _with(HOLDER, "/zone", 3)
    document = _with(document, "/address/postcode", "1")
    document = _without(document, "/declarations")
    document["nickname"] = "x"
    assert _errors(_post(client, document)) == [
        ("/address/postcode", "pattern"),
        ("/declarations", "required"),
        ("/nickname", "additionalProperties"),
        ("/zone", "type"),
    ]
    assert snapshot() == seeded


@pytest.mark.parametrize(
    "pointer",
    [
        "/applicant",
        "/applicant/email",
        "/address/main_residence",
        "/zone",
        "/vehicle",
        "/vehicle/plates",
        "/vehicle/relation",
        "/duration_months",
        "/declarations/truthful",
    ],
)
def test_a_missing_field_is_required(
    client: Any, seeded: list[Any], snapshot: Snapshot, pointer: str
) -> None:
    body = _problem(_post(client, _without(HOLDER, pointer)), 422)
    assert body["errors"] == [
        {"pointer": pointer, "code": "required", "message": "Dieses Feld ist erforderlich."}
    ]
    assert snapshot() == seeded


# -- unknown fields -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pointer", "where"),
    [
        ("/nickname", "/nickname"),
        ("/applicant/nickname", "/applicant/nickname"),
        ("/address/floor", "/address/floor"),
        ("/vehicle/colour", "/vehicle/colour"),
        ("/declarations/extra", "/declarations/extra"),
        ("/a~1b", "/a~01b"),  # the key "a~1b" is escaped in the answer
    ],
)
def test_unknown_fields_are_refused_by_name(
    client: Any, seeded: list[Any], snapshot: Snapshot, pointer: str, where: str
) -> None:
    document = _with(HOLDER, pointer, "surprise")
    body = _problem(_post(client, document), 422)
    assert body["errors"] == [
        {
            "pointer": where,
            "code": "additionalProperties",
            "message": "Dieses Feld ist im Formular nicht vorgesehen.",
        }
    ]
    assert snapshot() == seeded


def test_a_key_with_a_slash_is_escaped_in_the_pointer(
    client: Any, seeded: list[Any], snapshot: Snapshot
) -> None:
    document = copy.deepcopy(HOLDER)
    document["applicant"]["a/b"] = 1
    assert _errors(_post(client, document)) == [("/applicant/a~1b", "additionalProperties")]
    assert snapshot() == seeded


# -- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize("pointer", ["/applicant/date_of_birth", "/start_date"])
@pytest.mark.parametrize(
    "value", ["2026-02-30", "2026-13-01", "2026-11-31", "21.11.2026", "2026-11-21T00:00:00"]
)
def test_impossible_dates_are_format_errors(
    client: Any, seeded: list[Any], snapshot: Snapshot, pointer: str, value: str
) -> None:
    body = _problem(_post(client, _with(HOLDER, pointer, value)), 422)
    assert body["errors"] == [
        {"pointer": pointer, "code": "format", "message": "Kein gültiges Format (date)."}
    ]
    assert snapshot() == seeded


def test_a_start_date_in_the_past_is_refused(
    client: Any, seeded: list[Any], snapshot: Snapshot
) -> None:
    body = _problem(_post(client, _with(HOLDER, "/start_date", "2026-11-20")), 422)
    assert body["errors"] == [
        {
            "pointer": "/start_date",
            "code": "start_date_in_past",
            "message": "Das Startdatum darf nicht in der Vergangenheit liegen (frühestens 21.11.2026).",
        }
    ]
    assert snapshot() == seeded


def test_a_start_date_more_than_three_months_ahead_is_refused(
    client: Any, seeded: list[Any], snapshot: Snapshot
) -> None:
    body = _problem(_post(client, _with(HOLDER, "/start_date", "2027-02-22")), 422)
    assert body["errors"] == [
        {
            "pointer": "/start_date",
            "code": "start_date_too_far",
            "message": "Das Startdatum darf höchstens 3 Monate in der Zukunft liegen"
            " (spätestens 21.02.2027).",
        }
    ]
    assert snapshot() == seeded


def test_the_past_is_measured_in_berlin(
    client: Any, clock: FixedClock, seeded: list[Any], snapshot: Snapshot
) -> None:
    clock.advance(hours=13, minutes=30)  # 00:30 on 22 Nov in Berlin
    assert _errors(_post(client, _with(HOLDER, "/start_date", "2026-11-21"))) == [
        ("/start_date", "start_date_in_past")
    ]
    assert snapshot() == seeded


# -- plates and the vehicle relation ------------------------------------------------------


def test_two_plates_for_a_holder_are_refused(
    client: Any, seeded: list[Any], snapshot: Snapshot
) -> None:
    document = _with(HOLDER, "/vehicle/plates", ["DN-AB 1", "DN-AB 2"])
    body = _problem(_post(client, document), 422)
    assert body["errors"] == [
        {
            "pointer": "/vehicle/plates",
            "code": "plates_require_company_car",
            "message": "Mehrere Kennzeichen sind nur für wechselnde Firmenwagen möglich.",
        }
    ]
    assert snapshot() == seeded


def test_duplicate_plates_after_normalisation_are_refused(
    client: Any, seeded: list[Any], snapshot: Snapshot
) -> None:
    document = _with(COMPANY, "/vehicle/plates", ["DN-XY 42E", "dnxy42e"])
    body = _problem(_post(client, document), 422)
    assert body["errors"] == [
        {
            "pointer": "/vehicle/plates/1",
            "code": "duplicate_plate",
            "message": "Dieses Kennzeichen steht schon in der Liste.",
        }
    ]
    assert snapshot() == seeded


def test_five_plates_are_too_many(client: Any, seeded: list[Any], snapshot: Snapshot) -> None:
    plates = [f"DN-AB {n}" for n in range(1, 6)]
    body = _problem(_post(client, _with(COMPANY, "/vehicle/plates", plates)), 422)
    assert body["errors"] == [
        {"pointer": "/vehicle/plates", "code": "maxItems", "message": "Höchstens 4 Einträge."}
    ]
    assert snapshot() == seeded


@pytest.mark.parametrize("relation", ["company_car", "leased", "rented"])
def test_without_the_holder_confirmation_is_required(
    client: Any, seeded: list[Any], snapshot: Snapshot, relation: str
) -> None:
    document = _with(HOLDER, "/vehicle/relation", relation)
    body = _problem(_post(client, document), 422)
    assert body["errors"] == [
        {
            "pointer": "/vehicle/holder_confirmation",
            "code": "required",
            "message": "Dieses Feld ist erforderlich.",
        }
    ]
    assert snapshot() == seeded


def test_a_false_holder_confirmation_is_const(
    client: Any, seeded: list[Any], snapshot: Snapshot
) -> None:
    document = _with(COMPANY, "/vehicle/holder_confirmation", False)
    body = _problem(_post(client, document), 422)
    assert body["errors"] == [
        {
            "pointer": "/vehicle/holder_confirmation",
            "code": "const",
            "message": "Ohne Bestätigung der Halterin / des Halters kann kein Ausweis "
            "ausgestellt werden.",
        }
    ]
    assert snapshot() == seeded


def test_a_holder_needs_no_confirmation(client: Any) -> None:
    assert "holder_confirmation" not in HOLDER["vehicle"]
    assert _post(client, HOLDER).status_code == 201


# -- languages ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_language", "title", "message"),
    [
        (None, "Bitte prüfen Sie Ihre Angaben.", "Falscher Typ: erwartet wird Text/string."),
        ("de-DE", "Bitte prüfen Sie Ihre Angaben.", "Falscher Typ: erwartet wird Text/string."),
        ("en", "Please check your entries.", "Wrong type: expected Text/string."),
        ("en-GB,en;q=0.9", "Please check your entries.", "Wrong type: expected Text/string."),
        ("fr", "Bitte prüfen Sie Ihre Angaben.", "Falscher Typ: erwartet wird Text/string."),
    ],
)
def test_messages_follow_accept_language(
    client: Any, accept_language: str | None, title: str, message: str
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    body = _problem(_post(client, _with(HOLDER, "/zone", 3), headers), 422)
    assert body["title"] == title
    assert body["errors"] == [{"pointer": "/zone", "code": "type", "message": message}]


def test_form_messages_are_translated_too(client: Any) -> None:
    document = _with(HOLDER, "/address/postcode", "1")
    body = _problem(_post(client, document, {"Accept-Language": "en"}), 422)
    assert body["errors"] == [
        {
            "pointer": "/address/postcode",
            "code": "pattern",
            "message": "The postcode has five digits.",
        }
    ]


def test_rule_messages_are_translated_too(client: Any) -> None:
    document = _with(HOLDER, "/start_date", "2026-11-20")
    body = _problem(_post(client, document, {"Accept-Language": "en"}), 422)
    assert body["errors"] == [
        {
            "pointer": "/start_date",
            "code": "start_date_in_past",
            "message": "The start date cannot be in the past (earliest 21.11.2026).",
        }
    ]


# -- Idempotency-Key ----------------------------------------------------------------------


def test_the_same_key_and_body_replay_the_first_answer(
    client: Any, dynamodb_client: Any, table_name: str
) -> None:
    key = {"Idempotency-Key": "8a3e1f0c-7b7e-4a55-9a0e-3f4f2f7f9b10"}
    first = _post(client, HOLDER, key)
    second = _post(client, HOLDER, key)
    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    assert json.loads(second.body) == json.loads(first.body)
    assert second.headers["Location"] == first.headers["Location"]
    items = table_items(dynamodb_client, table_name)
    assert len(_applications(items)) == 1
    # The replayed token opens the application, and it is stored nowhere.
    body = json.loads(second.body)
    token = body["access_token"]
    assert len(token) >= 22
    assert token not in json.dumps(items)
    status = client.http.get(
        f"/api/applications/{body['id']}", headers={"Authorization": f"Bearer {token}"}
    )
    assert status.status_code == 200


def test_a_replay_matches_the_document_not_its_spelling(
    client: Any, dynamodb_client: Any, table_name: str
) -> None:
    key = {"Idempotency-Key": "same-key-different-whitespace"}
    first = _post(client, HOLDER, key)
    reordered = json.dumps(dict(reversed(list(HOLDER.items()))), indent=2).encode()
    second = _post(client, reordered, key)
    assert second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert json.loads(second.body)["id"] == json.loads(first.body)["id"]
    assert len(_applications(table_items(dynamodb_client, table_name))) == 1


def test_the_same_key_with_another_body_is_refused(client: Any, snapshot: Snapshot) -> None:
    key = {"Idempotency-Key": "key-1"}
    first = _post(client, HOLDER, key)
    assert first.status_code == 201
    before = snapshot()
    response = _post(client, _with(HOLDER, "/duration_months", 24), key)
    body = _problem(response, 409)
    assert body["type"] == TYPE_BASE + "conflict"
    assert "access_token" not in response.body.decode()
    assert snapshot() == before


def test_different_keys_create_different_applications(
    client: Any, dynamodb_client: Any, table_name: str
) -> None:
    first = json.loads(_post(client, HOLDER, {"Idempotency-Key": "key-a"}).body)
    second = json.loads(_post(client, HOLDER, {"Idempotency-Key": "key-b"}).body)
    assert first["id"] != second["id"]
    assert first["access_token"] != second["access_token"]
    assert len(_applications(table_items(dynamodb_client, table_name))) == 2


def test_a_refused_body_does_not_use_up_the_key(
    client: Any, dynamodb_client: Any, table_name: str
) -> None:
    key = {"Idempotency-Key": "key-after-a-typo"}
    assert _post(client, _with(HOLDER, "/zone", "Z"), key).status_code == 422
    assert table_items(dynamodb_client, table_name) == []
    corrected = _post(client, HOLDER, key)
    assert corrected.status_code == 201
    assert "Idempotent-Replayed" not in corrected.headers


@pytest.mark.parametrize("key", ["", "   "])
def test_a_blank_idempotency_key_is_refused(client: Any, snapshot: Snapshot, key: str) -> None:
    before = snapshot()
    response = _post(client, HOLDER, {"Idempotency-Key": key})
    assert response.status_code == 400
    assert snapshot() == before


# -- JSON edge cases that must not become a 500 -------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        # A lone surrogate escape parses in Python but cannot be written as UTF-8.
        b'{"applicant": {"family_name": "\\ud800"}}',
        b'{"\\udc00": 1}',
        b'{"zone": "C", "vehicle": {"plates": ["DN AB 1\\ud83d"]}}',
        b'{"duration_months": 1e400}',  # overflows a float to infinity
        b'{"duration_months": -1e400}',
        b'{"duration_months": ' + b"9" * 5000 + b"}",  # past Python's int() digit limit
        b"\xef\xbb\xbf{}",  # a UTF-8 byte order mark
    ],
)
def test_json_python_reads_but_cannot_store_is_400(
    client: Any, seeded: list[Any], snapshot: Snapshot, raw: bytes
) -> None:
    body = _problem(_post(client, raw), 400)
    assert body["type"] == TYPE_BASE + "malformed-json"
    assert snapshot() == seeded


def test_a_surrogate_pair_is_one_character_refused_only_because_it_cannot_be_printed(
    client: Any, snapshot: Snapshot
) -> None:
    """The pair parses as one emoji (no 400); the name pattern then refuses it by field."""
    raw = json.dumps(_with(HOLDER, "/applicant/given_names", "Zoë \U0001f600")).encode()
    assert b"\\ud83d\\ude00" in raw  # json.dumps escapes it as a pair
    before = snapshot()
    response = _post(client, raw)
    assert response.status_code == 422
    errors = json.loads(response.body)["errors"]
    assert [(e["pointer"], e["code"]) for e in errors] == [("/applicant/given_names", "pattern")]
    assert snapshot() == before


@pytest.mark.parametrize("written", ["12.0", "1.2e1", "120E-1"])
def test_an_integral_number_with_a_fraction_is_that_integer(
    client: Any, dynamodb_client: Any, table_name: str, written: str
) -> None:
    """JSON has one number type; 12.0 is the integer 12 for JSON Schema too."""
    raw = json.dumps(HOLDER).replace('"duration_months": 12', f'"duration_months": {written}')
    assert written in raw
    response = _post(client, raw.encode())
    assert response.status_code == 201, response.body
    assert json.loads(response.body)["fee"]["amount_cents"] == 3000
    data = json.loads(
        _stored(dynamodb_client, table_name, json.loads(response.body)["id"])["data"]["S"]
    )
    assert data["duration_months"] == 12 and isinstance(data["duration_months"], int)


def test_an_expired_idempotency_key_can_be_used_again(
    client: Any, clock: FixedClock, dynamodb_client: Any, table_name: str
) -> None:
    key = {"Idempotency-Key": "key-from-yesterday"}
    first = json.loads(_post(client, HOLDER, key).body)
    clock.advance(hours=25)  # the key is remembered for 24 hours
    response = _post(client, _with(HOLDER, "/duration_months", 24), key)
    assert response.status_code == 201, response.body
    assert "Idempotent-Replayed" not in response.headers
    assert json.loads(response.body)["id"] != first["id"]
