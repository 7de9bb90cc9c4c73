"""GET /api/forms and /api/forms/{form_id}, through the Chalice test client.

The listing is what a citizen chooses from; the schema is what the form page is generated
from. Ids come from the URL, so path tricks must answer 404 (never a file, never a 500).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.config import APP_ROOT

SCHEMAS = APP_ROOT / "schemas"
FORM_FILES = sorted(SCHEMAS.glob("*.json"))
PROBLEM_JSON = "application/problem+json"
NOT_FOUND = {
    "type": "https://permit-service.example/problems/not-found",
    "title": "Nicht gefunden / Not found",
    "status": 404,
}


def _schema(path: Path) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return schema


def test_the_listing_shows_every_published_form(client: Any) -> None:
    response = client.http.get("/api/forms")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    forms = json.loads(response.body)["forms"]
    assert len(forms) == 3
    expected = []
    for path in FORM_FILES:
        service = _schema(path)["x-service"]
        expected.append(
            {
                "id": service["id"],
                "version": service["version"],
                "title": service["title"],
                "description": service["description"],
                "permit_type": service["permit"]["type"],
            }
        )
    listed = [{k: v for k, v in form.items() if k != "fee"} for form in forms]
    assert sorted(listed, key=lambda f: f["id"]) == sorted(expected, key=lambda f: f["id"])
    assert {form["permit_type"] for form in forms} == {1, 2, 3}


def test_the_resident_parking_permit_is_listed_with_its_fee_table(client: Any) -> None:
    forms = json.loads(client.http.get("/api/forms").body)["forms"]
    permit = next(form for form in forms if form["id"] == "resident-parking-permit")
    assert permit["version"] == 1
    assert permit["title"] == {"de": "Bewohnerparkausweis", "en": "Resident parking permit"}
    assert permit["fee"] == {
        "currency": "EUR",
        "kind": "by_option",
        "effective_from": "2024-01-01",
        "summary": {"de": "15,00 € bis 60,00 €", "en": "€15.00 to €60.00"},
        "by": "/duration_months",
        "options": {"6": 1500, "12": 3000, "24": 6000},
    }


def test_a_fee_published_ahead_is_listed_as_upcoming(client: Any) -> None:
    """The test clock says 21 Nov 2026: the visitor fee of 1 Jan 2027 is announced, not due."""
    forms = json.loads(client.http.get("/api/forms").body)["forms"]
    visitor = next(form for form in forms if form["id"] == "visitor-parking-permit")
    assert visitor["fee"] == {
        "currency": "EUR",
        "kind": "per_unit",
        "effective_from": "2025-01-01",
        "summary": {"de": "2,50 € pro Tag", "en": "€2.50 per day"},
        "upcoming": [
            {
                "kind": "per_unit",
                "effective_from": "2027-01-01",
                "summary": {"de": "3,00 € pro Tag", "en": "€3.00 per day"},
            }
        ],
    }


@pytest.mark.parametrize(
    ("query", "streets"),
    [
        ("wirt", ["Wirtelstraße"]),
        ("Josef Schregel Str", ["Josef-Schregel-Straße"]),
        ("KOELNSTR", ["Kölnstraße"]),
        ("platz", ["Hoeschplatz", "Kaiserplatz"]),
        ("Am Ellernbusch", []),
        ("", []),
    ],
)
def test_street_names_are_suggested_from_the_zone_map(
    client: Any, query: str, streets: list[str]
) -> None:
    from urllib.parse import quote

    response = client.http.get(f"/api/forms/visitor-parking-permit/streets?q={quote(query)}")
    assert response.status_code == 200
    assert json.loads(response.body) == {"query": query, "streets": streets}
    assert response.headers["Cache-Control"] == "public, max-age=300"


def test_street_suggestions_need_a_form_that_reads_the_address(client: Any) -> None:
    """The tradesperson permit has no address-derived zone; an unknown form has nothing."""
    for form_id in ("tradesperson-parking-permit", "no-such-form", "_meta"):
        response = client.http.get(f"/api/forms/{form_id}/streets?q=wirt")
        assert response.status_code == 404, form_id
        assert json.loads(response.body) == NOT_FOUND


def test_the_listing_does_not_include_the_meta_schema(client: Any) -> None:
    forms = json.loads(client.http.get("/api/forms").body)["forms"]
    assert all(not form["id"].startswith("_") for form in forms)
    assert len(forms) == len(FORM_FILES)


@pytest.mark.parametrize("path", FORM_FILES, ids=lambda p: p.stem)
def test_a_form_answers_its_schema(client: Any, path: Path) -> None:
    response = client.http.get(f"/api/forms/{path.stem}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert json.loads(response.body) == _schema(path)


def test_an_unknown_form_is_404(client: Any) -> None:
    response = client.http.get("/api/forms/unicorn-parking-permit")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == PROBLEM_JSON
    assert json.loads(response.body) == NOT_FOUND


@pytest.mark.parametrize(
    "form_id",
    [
        "..",
        "%2e%2e",
        "..%2F_meta%2Fservice-form.schema",
        "..%2f..%2fchalicelib%2fconfig",
        "_meta%2Fservice-form.schema",
        "_meta",
        "resident-parking-permit.json",
        "resident-parking-permit%00",
        "resident-parking-permit%0A",
        "Resident-Parking-Permit",
        "%C3%A4",
        "x" * 300,
    ],
)
def test_path_tricks_in_the_form_id_are_404(client: Any, form_id: str) -> None:
    for path in (f"/api/forms/{form_id}", f"/api/forms/{form_id}/applications"):
        if path.endswith("/applications"):
            response = client.http.post(
                path, headers={"Content-Type": "application/json"}, body=b"{}"
            )
        else:
            response = client.http.get(path)
        assert response.status_code == 404, path
        assert response.headers["Content-Type"] == PROBLEM_JSON
        assert json.loads(response.body) == NOT_FOUND


@pytest.mark.parametrize(
    "path",
    ["/api/forms/../_meta/service-form.schema", "/api/forms/../../app.py", "/api/forms/a/b"],
)
def test_literal_traversal_matches_no_route_and_leaks_nothing(client: Any, path: str) -> None:
    """Several segments match no route: the gateway's own refusal, never a file or a 500."""
    response = client.http.get(path)
    assert response.status_code in (403, 404)
    assert b"x-service" not in response.body and b"import" not in response.body


def test_an_unknown_form_is_404_for_submissions_too(client: Any) -> None:
    response = client.http.post(
        "/api/forms/unicorn-parking-permit/applications",
        headers={"Content-Type": "application/json"},
        body=json.dumps(_schema(FORM_FILES[0])["examples"][0]),
    )
    assert response.status_code == 404
    assert json.loads(response.body) == NOT_FOUND
