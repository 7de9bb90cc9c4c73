"""Zones by street: the city's zone map decides, or checks, a permit's zone.

Against the real map of the demo city (schemas/_city/zones.json): Schenkelstraße has its odd
side in zone B and its even side in zone C; Wirtelstraße is zone A up to number 39 and zone
B from 40; Hohenzollernstraße has resident parking only up to number 60.
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
from chalicelib.domain.rules import apply_rules, resolve_zone
from chalicelib.domain.zones import StreetRow, ZoneMap, house_number_value, normalise_street
from chalicelib.services.form_registry import FormRegistry

SCHEMAS = APP_ROOT / "schemas"
ZONES = FormRegistry(SCHEMAS).zone_map
assert ZONES is not None
RESIDENT = FormDefinition.from_schema(
    json.loads((SCHEMAS / "resident-parking-permit.json").read_text("utf-8"))
)
VISITOR = FormDefinition.from_schema(
    json.loads((SCHEMAS / "visitor-parking-permit.json").read_text("utf-8"))
)
TODAY = date(2026, 11, 21)


@pytest.mark.parametrize(
    ("spelling", "key"),
    [
        ("Wirtelstraße", "wirtelstr"),
        ("Wirtelstr.", "wirtelstr"),
        ("Wirtelstr", "wirtelstr"),
        ("wirtelstrasse", "wirtelstr"),
        ("WIRTELSTRASSE", "wirtelstr"),
        ("Wirtel Straße", "wirtelstr"),
        ("  Wirtel-Str. ", "wirtelstr"),
        ("Josef-Schregel-Straße", "josefschregelstr"),
        ("Josef Schregel Str.", "josefschregelstr"),
        ("Kölnstraße", "koelnstr"),
        ("Koelnstrasse", "koelnstr"),
        ("Ko\u0308lnstraße", "koelnstr"),  # a decomposed umlaut, as some keyboards send it
        ("Straße des 17. Juni", "strdes17juni"),
        ("Strasser Weg", "strasserweg"),  # "strasse" inside a word is not the street word
    ],
)
def test_street_names_are_compared_in_a_normal_form(spelling: str, key: str) -> None:
    assert normalise_street(spelling) == key


@pytest.mark.parametrize(
    ("street", "number", "zone"),
    [
        ("Schenkelstraße", "1", "B"),  # odd side
        ("Schenkelstraße", "2", "C"),  # even side
        ("Schenkelstr.", "17a", "B"),
        ("schenkelstrasse", "120", "C"),
        ("Wirtelstraße", "39", "A"),  # the last number of the range
        ("Wirtelstraße", "40", "B"),  # the first of the next
        ("Wirtelstraße", "12-14", "A"),  # a range of numbers lies at its first
        ("Wirtelstraße", "41 b", "B"),
        ("Hohenzollernstraße", "60", "E"),
        ("Kaiserplatz", "7a", "C"),
        ("Josef-Schregel-Str.", "3", "F"),
        ("Josef Schregel Straße", "4", "G"),
    ],
)
def test_an_address_lies_in_one_zone(street: str, number: str, zone: str) -> None:
    assert ZONES.lookup(street, number).zone == zone


@pytest.mark.parametrize(
    ("street", "number", "problem"),
    [
        ("Hohenzollernstraße", "61", "number_outside"),  # past the end of the range
        ("Am Ellernbusch", "3", "unknown_street"),
        ("Wirtelstraßenweg", "3", "unknown_street"),
    ],
)
def test_an_address_outside_every_zone_says_why(street: str, number: str, problem: str) -> None:
    found = ZONES.lookup(street, number)
    assert (found.zone, found.problem) == (None, problem)


def test_house_numbers_read_their_leading_number() -> None:
    assert [house_number_value(n) for n in ("12", "12a", "12 - 14", " 7", "x")] == [
        12,
        12,
        12,
        7,
        None,
    ]


def _visitor(street: str, number: str) -> dict[str, Any]:
    document = copy.deepcopy(VISITOR.schema["examples"][0])
    document["address"].update(street=street, house_number=number)
    return document


def test_the_visitor_permit_takes_its_zone_from_the_address() -> None:
    assert resolve_zone(VISITOR, _visitor("Schenkelstraße", "9"), ZONES).zone == "B"
    assert resolve_zone(VISITOR, _visitor("Schenkelstraße", "10"), ZONES).zone == "C"


def test_an_address_outside_every_zone_is_a_field_error_that_says_so() -> None:
    assert apply_rules(VISITOR, _visitor("Am Ellernbusch", "3"), TODAY, zone_map=ZONES) == [
        FieldError(
            "/address/street",
            "zone_unknown_street",
            {"street": "Am Ellernbusch", "city": "Musterstadt"},
        )
    ]
    assert apply_rules(VISITOR, _visitor("Hohenzollernstr.", "61"), TODAY, zone_map=ZONES) == [
        FieldError(
            "/address/house_number",
            "zone_number_outside",
            {"street": "Hohenzollernstraße", "number": "61"},
        )
    ]


def test_a_zone_the_form_does_not_offer_is_refused() -> None:
    """Visitor permits are offered in zones A-L only; Zehnthofstraße is zone M."""
    assert apply_rules(VISITOR, _visitor("Zehnthofstraße", "1"), TODAY, zone_map=ZONES) == [
        FieldError("/address/street", "zone_not_offered", {"zone": "M", "name": "Zehnthof"})
    ]


def _resident(zone: str, street: str, number: str) -> dict[str, Any]:
    document = copy.deepcopy(RESIDENT.schema["examples"][0])
    document["zone"] = zone
    document["address"].update(street=street, house_number=number)
    return document


def test_an_entered_zone_is_checked_against_the_address() -> None:
    assert apply_rules(RESIDENT, _resident("C", "Schenkelstraße", "2"), TODAY, zone_map=ZONES) == []
    assert apply_rules(RESIDENT, _resident("C", "Schenkelstraße", "3"), TODAY, zone_map=ZONES) == [
        FieldError("/zone", "zone_mismatch", {"zone": "B", "entered": "C", "name": "Wirteltor"})
    ]


def test_a_refused_address_field_adds_no_zone_error() -> None:
    document = _resident("C", "Am Ellernbusch", "3")
    assert apply_rules(RESIDENT, document, TODAY, refused={"/address/street"}, zone_map=ZONES) == []


def test_groups_stand_for_their_members() -> None:
    assert ZONES.knows("HW") and ZONES.knows("A") and not ZONES.knows("ZZ")
    assert ZONES.members("Z3") == ("K", "L", "M", "N")
    assert ZONES.title("HW") == {"de": "alle Zonen", "en": "all zones"}


def test_street_suggestions_prefix_first() -> None:
    assert ZONES.suggest("wirt") == ["Wirtelstraße"]
    assert ZONES.suggest("Josef Schr") == ["Josef-Schregel-Straße"]
    found = ZONES.suggest("platz")
    assert found == ["Hoeschplatz", "Kaiserplatz"]  # inner matches, A-Z
    assert ZONES.suggest("") == [] and ZONES.suggest("  - ") == []
    assert len(ZONES.suggest("e")) == 10


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        ((1, 39, "both"), (40, None, "both"), False),
        ((1, 40, "both"), (40, None, "both"), True),
        ((1, None, "odd"), (1, None, "even"), False),
        ((1, None, "odd"), (2, 2, "both"), False),  # the only number of the second is even
        ((1, None, "odd"), (2, 3, "both"), True),
        ((1, 9, "odd"), (5, 20, "odd"), True),
        ((1, 4, "odd"), (4, 4, "odd"), False),
    ],
)
def test_overlapping_rows_are_found(
    first: tuple[int, int | None, str], second: tuple[int, int | None, str], overlap: bool
) -> None:
    rows = [
        StreetRow("Wirtelstraße", "A", *first, index=0),
        StreetRow("Wirtelstr.", "B", *second, index=1),
    ]
    zone_map = ZoneMap({"A": {"de": "A", "en": "A"}, "B": {"de": "B", "en": "B"}}, {}, rows)
    assert bool(zone_map.overlapping_rows()) is overlap
