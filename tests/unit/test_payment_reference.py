"""The payment reference (Kassenzeichen): at most 27 characters, reversible, typo-proof."""

from __future__ import annotations

import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.payment_reference import (
    MAX_REFERENCE_LENGTH,
    application_id_from_reference,
    payment_reference,
)

ALPHABET = set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")


@given(st.binary(min_size=16, max_size=16))
def test_every_application_id_has_a_27_symbol_reference_that_leads_back(raw: bytes) -> None:
    application_id = raw.hex()
    reference = payment_reference(application_id)
    assert len(reference) == MAX_REFERENCE_LENGTH == 27
    assert set(reference) <= ALPHABET
    assert application_id_from_reference(reference) == application_id


def test_the_reference_is_deterministic_and_differs_between_applications() -> None:
    one, two = secrets.token_hex(16), secrets.token_hex(16)
    assert payment_reference(one) == payment_reference(one)
    assert payment_reference(one) != payment_reference(two)


def test_people_may_type_it_with_spaces_hyphens_and_lower_case() -> None:
    application_id = "5f3c9a0e2b7d4c1f8a6e0b9d3c2f1a4e"
    reference = payment_reference(application_id)
    typed = "-".join(reference[i : i + 4] for i in range(0, 27, 4)).lower()
    assert application_id_from_reference(" " + typed + " ") == application_id


def test_every_single_mistyped_symbol_is_caught() -> None:
    reference = payment_reference("5f3c9a0e2b7d4c1f8a6e0b9d3c2f1a4e")
    for position in range(len(reference)):
        for symbol in sorted(ALPHABET - {reference[position]}):
            typo = reference[:position] + symbol + reference[position + 1 :]
            assert application_id_from_reference(typo) is None, typo


@pytest.mark.parametrize("text", ["", "ABC", "U" * 27, "0" * 28, "ä" * 27])
def test_what_is_not_a_reference_leads_nowhere(text: str) -> None:
    assert application_id_from_reference(text) is None


def test_ids_that_are_not_hex_still_get_a_short_deterministic_reference() -> None:
    reference = payment_reference("app_test_1")
    assert len(reference) == 27 and reference == payment_reference("app_test_1")
