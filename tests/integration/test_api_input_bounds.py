"""Inputs the review broke (issue 9 items 5 and 7): e-mail addresses and huge error lists.

Through the Chalice test client into the real services and a DynamoDB table over HTTP;
every refusal also leaves the table unchanged.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from chalicelib.config import APP_ROOT
from chalicelib.web.problems import MAX_LISTED_ERRORS
from tests.conftest import table_items

RPP = "resident-parking-permit"
SUBMIT = f"/api/forms/{RPP}/applications"
EXAMPLE = json.loads((APP_ROOT / "schemas" / f"{RPP}.json").read_text("utf-8"))["examples"][0]
TYPE_BASE = "https://permit-service.example/problems/"


def _post(client: Any, document: Any, language: str = "de") -> Any:
    return client.http.post(
        SUBMIT,
        headers={"Content-Type": "application/json", "Accept-Language": language},
        body=json.dumps(document, ensure_ascii=False).encode(),
    )


def _with_email(address: str) -> dict[str, Any]:
    document = copy.deepcopy(EXAMPLE)
    document["applicant"]["email"] = address
    return document


def _problem(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, response.body[:500]
    assert response.headers["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = json.loads(response.body)
    assert body["type"] == TYPE_BASE + "validation-failed"
    return body


def _items(dynamodb_client: Any, table_name: str) -> list[dict[str, Any]]:
    return sorted(
        table_items(dynamodb_client, table_name), key=lambda i: (i["PK"]["S"], i["SK"]["S"])
    )


# -- item 5: e-mail addresses -------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "@",
        "a b@c d",
        "x@y\n<script>",
        "no-at-sign",
        "two@@example.org",
        "x@y",  # no dot: not deliverable anywhere
        "a..b@example.org",
        ".a@example.org",
        "a@example..org",
        "a@-example.org",
        "a@[127.0.0.1]",
        '"a b"@example.org',
        " a@example.org",
        "a@example.org ",
        "a@example.org\n",
        "a@localhost",
        "a@mail.invalid",
        "Anna <a@example.org>",
        "a@exa_mple.org",
        "a@example.org\u200b",
    ],
)
def test_malformed_email_addresses_are_refused(
    client: Any, dynamodb_client: Any, table_name: str, address: str
) -> None:
    before = _items(dynamodb_client, table_name)
    body = _problem(_post(client, _with_email(address)))
    assert body["errors"] == [
        {
            "pointer": "/applicant/email",
            "code": "format",
            "message": "Kein gültiges Format (email).",
        }
    ]
    assert _items(dynamodb_client, table_name) == before


@pytest.mark.parametrize(
    "address",
    [
        "guelsen.oeztuerk@example.org",
        "a@b.de",
        "first.last+tag@sub.example.co.uk",
        "o'brien@example.ie",
        "jiří@dvořák.cz",
        "user@münchen.de",
        "x" * 64 + "@example.org",
    ],
)
def test_real_email_addresses_are_accepted(client: Any, address: str) -> None:
    response = _post(client, _with_email(address))
    assert response.status_code == 201, response.body


def test_email_checks_need_no_network(client: Any) -> None:
    """A domain that cannot exist is fine: no DNS lookup at request time (syntax only)."""
    response = _post(client, _with_email("anna@no-such-domain-for-permit-tests.example"))
    assert response.status_code == 201, response.body


# -- item 7: the error list is bounded ----------------------------------------------------


def _many_bad_plates(count: int) -> dict[str, Any]:
    document = copy.deepcopy(EXAMPLE)
    document["vehicle"]["plates"] = ["!"] * count
    return document


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_huge_error_list_is_cut_and_says_so(
    client: Any, dynamodb_client: Any, table_name: str, language: str
) -> None:
    """12,000 invalid plates in a 60 KB body once answered 1.56 MB of errors."""
    document = _many_bad_plates(12_000)
    raw = json.dumps(document).encode()
    assert len(raw) < 64 * 1024
    before = _items(dynamodb_client, table_name)
    response = _post(client, document, language)
    body = _problem(response)
    assert len(response.body) < 20_000
    assert len(body["errors"]) == MAX_LISTED_ERRORS == 50
    assert body["errors_total"] == 12_001  # every plate, and maxItems on the list itself
    assert body["errors_truncated"] is True
    listed = [error["pointer"] for error in body["errors"]]
    assert listed == sorted(listed) and len(set(listed)) == len(listed)
    assert "/vehicle/plates" in listed
    expected = (
        "Die ersten 50 von 12001 Fehlern sind aufgeführt."
        if language == "de"
        else "The first 50 of 12001 errors are listed."
    )
    assert body["detail"] == expected
    assert _items(dynamodb_client, table_name) == before


def test_a_short_error_list_is_complete(client: Any) -> None:
    document = _many_bad_plates(MAX_LISTED_ERRORS - 2)  # the plates, plus maxItems
    body = _problem(_post(client, document))
    assert len(body["errors"]) == MAX_LISTED_ERRORS - 1
    assert body["errors_total"] == MAX_LISTED_ERRORS - 1
    assert body["errors_truncated"] is False
    assert "detail" not in body
