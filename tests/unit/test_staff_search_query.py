"""Reading what staff type into the search box: each kind by its shape, forgiving spelling,
and "did you mean" for a permit number with one wrong symbol."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.email_lookup import email_lookup_hash
from chalicelib.domain.payment_reference import payment_reference
from chalicelib.domain.permit_number import _ALPHABET, format_permit_number
from chalicelib.domain.staff_search import QueryKind, read_query

serials = st.integers(min_value=0, max_value=2**32 - 1)
years = st.integers(min_value=2020, max_value=2099)


@given(years, serials)
def test_a_permit_number_is_read_in_any_case_with_or_without_hyphens(
    year: int, serial: int
) -> None:
    number = format_permit_number(year, serial)
    for spelling in (number, number.lower(), number.replace("-", ""), f"  {number} "):
        query = read_query(spelling)
        assert (query.kind, query.value) == (QueryKind.PERMIT_NUMBER, str(serial))


@given(years, serials, st.integers(min_value=5, max_value=13), st.sampled_from(_ALPHABET))
def test_one_wrong_symbol_offers_the_real_number(
    year: int, serial: int, position: int, wrong: str
) -> None:
    number = format_permit_number(year, serial)
    if number[position] == "-" or number[position] == wrong:
        return
    typo = number[:position] + wrong + number[position + 1 :]
    query = read_query(typo)
    assert query.kind is QueryKind.PERMIT_NUMBER
    assert query.value == ""  # never silently "corrected"
    assert (number, serial) in query.suggestions
    assert len(query.suggestions) <= 12


@pytest.mark.parametrize(
    ("raw", "kind", "value"),
    [
        ("dn ab 123", QueryKind.PLATE, "DNAB123"),
        ("DN-AB123", QueryKind.PLATE, "DNAB123"),
        ("lö x 5e", QueryKind.PLATE, "LÖX5E"),
        (" Anna@Example.ORG ", QueryKind.EMAIL, "anna@example.org"),
        ("0123456789ABCDEF0123456789abcdef", QueryKind.APPLICATION_ID, "0123456789abcdef" * 2),
        ("no such thing", QueryKind.UNKNOWN, ""),
        ("@", QueryKind.UNKNOWN, ""),
    ],
)
def test_each_kind_by_its_shape(raw: str, kind: QueryKind, value: str) -> None:
    query = read_query(raw)
    assert (query.kind, query.value) == (kind, value)


@given(st.binary(min_size=16, max_size=16))
def test_a_payment_reference_is_read_back_to_its_application(raw: bytes) -> None:
    app_id = raw.hex()
    reference = payment_reference(app_id)
    for spelling in (reference, reference.lower(), f"{reference[:9]}-{reference[9:]}"):
        query = read_query(spelling)
        assert (query.kind, query.value) == (QueryKind.PAYMENT_REFERENCE, app_id)


def test_the_email_key_is_keyed_and_normalised() -> None:
    key_a, key_b = b"a" * 32, b"b" * 32
    assert email_lookup_hash(key_a, "Anna@Example.org ") == email_lookup_hash(
        key_a, "anna@example.org"
    )
    assert email_lookup_hash(key_a, "anna@example.org") != email_lookup_hash(
        key_b, "anna@example.org"
    )
    assert "anna" not in email_lookup_hash(key_a, "anna@example.org")
