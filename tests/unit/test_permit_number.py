"""Permit numbers: ``YYYY-XXXX-XXXC`` (Crockford base32 serial and a Luhn mod 32 check)."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from chalicelib.domain.permit_number import format_permit_number, parse_permit_number

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# What a person might type instead of a character: every symbol, the excluded letters, the
# confusable ones in lower case, and a few that are no symbol at all.
TYPED = sorted(set(ALPHABET + ALPHABET.lower() + "IiLlOoUu-_ .*#"))
SERIALS = st.integers(min_value=0, max_value=2**32 - 1)
YEARS = st.integers(min_value=2020, max_value=2099)
# Confusions the parser accepts as the same symbol (Crockford): O is 0, I and L are 1.
SAME = {"O": "0", "I": "1", "L": "1"}


@given(YEARS, SERIALS)
@example(2026, 0)
@example(2026, 2**32 - 1)
@example(2026, 0x12345678)
def test_round_trip(year: int, serial: int) -> None:
    number = format_permit_number(year, serial)
    assert len(number) == 14
    assert number[4] == number[9] == "-"
    assert set(number[5:9] + number[10:]) <= set(ALPHABET)
    assert parse_permit_number(number) == (year, serial)


@given(YEARS, SERIALS)
def test_lowercase_spaces_and_confusable_letters_are_accepted(year: int, serial: int) -> None:
    number = format_permit_number(year, serial)
    assert parse_permit_number(number.lower()) == (year, serial)
    assert parse_permit_number(f"  {number}\n") == (year, serial)
    confused = number[:5] + number[5:].replace("0", "O").replace("1", "I")
    assert parse_permit_number(confused) == (year, serial)
    assert parse_permit_number(number[:5] + number[5:].replace("1", "l")) == (year, serial)
    assert parse_permit_number(confused.lower()) == (year, serial)


def _symbol_value(char: str) -> str:
    upper = char.upper()
    return SAME.get(upper, upper)


def _single_changes(number: str, positions: range | list[int]) -> list[tuple[int, str]]:
    changes = []
    for position in positions:
        for typed in TYPED:
            if _symbol_value(typed) != _symbol_value(number[position]):
                changes.append((position, typed))
    return changes


@given(YEARS, SERIALS)
@example(2026, 0)
@example(2026, 2**32 - 1)
def test_every_single_change_of_a_symbol_is_detected_or_refused(year: int, serial: int) -> None:
    number = format_permit_number(year, serial)
    symbol_positions = [5, 6, 7, 8, 10, 11, 12, 13]  # serial and check character
    for position, typed in _single_changes(number, symbol_positions):
        changed = number[:position] + typed + number[position + 1 :]
        assert parse_permit_number(changed) is None, (number, changed)


@given(YEARS, SERIALS)
def test_every_single_change_of_a_separator_is_refused(year: int, serial: int) -> None:
    number = format_permit_number(year, serial)
    for position, typed in _single_changes(number, [4, 9]):
        changed = number[:position] + typed + number[position + 1 :]
        assert parse_permit_number(changed) is None, (number, changed)


@given(YEARS, SERIALS)
def test_every_single_change_of_a_year_digit_is_detected_or_refused(year: int, serial: int) -> None:
    number = format_permit_number(year, serial)
    for position, typed in _single_changes(number, range(4)):
        changed = number[:position] + typed + number[position + 1 :]
        assert parse_permit_number(changed) is None, (number, changed)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-0000-000",
        "2026-0000-00000",
        "2026_0000-0000",
        "20260000-0000",
        "2026-U000-0000",
        "26-0000-0000",
        "2026-0000-0000-0000",
        pytest.param(
            "\u0662\u0660\u0662\u0666-0000-0000",  # Arabic-Indic digits for "2026"
            id="arabic-indic-year",
        ),
    ],
)
def test_malformed_numbers_are_refused(text: str) -> None:
    assert parse_permit_number(text) is None


@pytest.mark.parametrize("first", ["4", "Z"])
def test_a_serial_beyond_32_bits_is_refused_whatever_the_check_character(first: str) -> None:
    # A first symbol >= 4 means bits 32..34 are set: no 32-bit serial formats like this, so
    # no check character may make it acceptable.
    body = first + "000000"
    for check in ALPHABET:
        assert parse_permit_number(f"2026-{body[:4]}-{body[4:]}{check}") is None, check


@pytest.mark.parametrize("serial", [-1, 2**32])
def test_format_refuses_serials_outside_32_bits(serial: int) -> None:
    with pytest.raises(ValueError, match="serial must fit in 32 bits"):
        format_permit_number(2026, serial)
