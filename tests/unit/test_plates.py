"""Licence plates: one canonical form, and a pattern that only canonical German plates pass.

The canonical plate is what the token signs and what enforcement compares with the car, so
normalisation must be total and idempotent, and everything the pattern accepts must also be
encodable in a token.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.config import APP_ROOT
from chalicelib.domain.plates import PLATE_PATTERN, normalise_plate
from chalicelib.domain.token import MAX_PLATE_LENGTH, PermitClaims

SCHEMA = json.loads((APP_ROOT / "schemas" / "resident-parking-permit.json").read_text("utf-8"))
SCHEMA_PLATE_PATTERN = SCHEMA["properties"]["vehicle"]["properties"]["plates"]["items"]["pattern"]


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("dn ab 123", "DNAB123"),
        ("DN-AB 123", "DNAB123"),
        ("DN-AB-123", "DNAB123"),
        ("DNAB123", "DNAB123"),
        ("  dn  ab   123  ", "DNAB123"),
        ("dn\tab\u00a0123", "DNAB123"),  # tab and no-break space are whitespace too
        ("DN--AB 123", "DNAB123"),
        ("m-x 1e", "MX1E"),
        ("lö-ab 12", "LÖAB12"),
        ("düw a 1h", "DÜWA1H"),
        ("B AB 1234", "BAB1234"),
    ],
)
def test_normalise_uppercases_and_drops_separators(raw: str, canonical: str) -> None:
    assert normalise_plate(raw) == canonical


@pytest.mark.parametrize(
    "plate",
    ["DNAB123", "MX1", "BAB1234", "LÖAB12", "MÜA1", "DÜWAB99", "DNAB1E", "DNAB1H", "ÄB1"],
)
def test_pattern_accepts_canonical_plates(plate: str) -> None:
    assert PLATE_PATTERN.match(plate)


@pytest.mark.parametrize(
    "plate",
    [
        "",
        "DN",  # no number
        "123",  # no letters
        "DNAB0123",  # leading zero
        "DNAB0",
        "DNAB12345",  # five digits
        "DNABCD1",  # six letters
        "ABÄ1",  # recognition letters never carry umlauts
        "DNAB123X",  # only E or H as suffix
        "DNAB123EH",
        "dnab123",  # not normalised
        "DN AB 123",
        "DN-AB123",
        "DNAB123\n",  # `$` alone would match before a trailing newline
        "DNAB\uff11\uff12\uff13",  # full-width digits
    ],
)
def test_pattern_refuses_everything_else(plate: str) -> None:
    assert PLATE_PATTERN.match(plate) is None


@given(st.text(max_size=20))
def test_normalise_is_idempotent_and_leaves_no_separators(raw: str) -> None:
    once = normalise_plate(raw)
    assert normalise_plate(once) == once
    assert not re.search(r"[\s-]", once)


@given(st.from_regex(PLATE_PATTERN, fullmatch=True))
def test_every_plate_the_pattern_accepts_fits_a_token(plate: str) -> None:
    assert len(plate) <= MAX_PLATE_LENGTH
    # PermitClaims validates plates exactly as the token codec will encode them.
    from datetime import date

    PermitClaims(1, "A", 1, date(2026, 11, 21), date(2027, 11, 20), (plate,))


@given(st.from_regex(SCHEMA_PLATE_PATTERN, fullmatch=True))
def test_every_plate_the_form_accepts_normalises_to_a_canonical_plate(raw: str) -> None:
    """The form's lenient pattern and the domain pattern agree: no valid input is refused later."""
    assert PLATE_PATTERN.match(normalise_plate(raw))
