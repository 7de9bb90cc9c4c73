"""What a staff member typed into the search box, read as one of the keys the store has.

The box takes a permit number, a plate, an application id, a payment reference
(Kassenzeichen) or an e-mail address, in whatever spelling people use on the phone. Each
kind has a shape of its own (lengths and alphabets do not overlap), so the query is read
without asking the store, and each kind is then one key lookup: no scan, no guessing.

A permit number whose check character does not fit is not silently "corrected": the
candidates that a single mistyped symbol could have come from are returned, and the
service offers those that exist as "did you mean".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.payment_reference import application_id_from_reference
from chalicelib.domain.permit_number import _ALPHABET, format_permit_number, parse_permit_number
from chalicelib.domain.plates import PLATE_PATTERN, normalise_plate

__all__ = ["MAX_QUERY_LENGTH", "QueryKind", "SearchQuery", "normalise_email", "read_query"]

MAX_QUERY_LENGTH = 254  # the longest e-mail address (RFC 5321 path limit)
_APPLICATION_ID = re.compile(r"[0-9a-f]{32}")
_PERMIT_SHAPE = re.compile(r"([0-9]{4})([0-9A-Z]{8})")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class QueryKind(StrEnum):
    PERMIT_NUMBER = "permit_number"
    PLATE = "plate"
    APPLICATION_ID = "application_id"
    PAYMENT_REFERENCE = "payment_reference"
    EMAIL = "email"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SearchQuery:
    """The query as a key: ``value`` is the normalised key (serial as text for permits).

    ``suggestions``: for a permit number whose check character fails, the (number, serial)
    pairs one changed symbol away that pass the check.
    """

    kind: QueryKind
    value: str = ""
    suggestions: tuple[tuple[str, int], ...] = ()


def normalise_email(address: str) -> str:
    """Trimmed and lower-cased: how people retype an address they read somewhere."""
    return address.strip().lower()


def read_query(raw: str) -> SearchQuery:
    text = raw.strip()
    if "@" in text:
        email = normalise_email(text)
        return SearchQuery(QueryKind.EMAIL, email) if _EMAIL.fullmatch(email) else _unknown()
    if _APPLICATION_ID.fullmatch(text.lower()):
        return SearchQuery(QueryKind.APPLICATION_ID, text.lower())
    compact = re.sub(r"[\s-]+", "", text).upper()
    if len(compact) == 12:
        return _permit_number(compact)
    if len(compact) == 27:
        app_id = application_id_from_reference(compact)
        return SearchQuery(QueryKind.PAYMENT_REFERENCE, app_id) if app_id else _unknown()
    plate = normalise_plate(text)
    if PLATE_PATTERN.match(plate):
        return SearchQuery(QueryKind.PLATE, plate)
    return _unknown()


def _unknown() -> SearchQuery:
    return SearchQuery(QueryKind.UNKNOWN)


def _spelled(compact: str) -> str:
    return f"{compact[:4]}-{compact[4:8]}-{compact[8:]}"


def _permit_number(compact: str) -> SearchQuery:
    readable = compact.replace("O", "0").replace("I", "1").replace("L", "1")
    if not _PERMIT_SHAPE.fullmatch(readable) or "U" in readable[4:]:
        return _unknown()
    parsed = parse_permit_number(_spelled(readable))
    if parsed is not None:
        return SearchQuery(QueryKind.PERMIT_NUMBER, str(parsed[1]))
    return SearchQuery(QueryKind.PERMIT_NUMBER, "", _one_symbol_away(readable))


def _one_symbol_away(readable: str) -> tuple[tuple[str, int], ...]:
    """Every valid number that differs from ``readable`` in exactly one symbol."""
    found: dict[str, int] = {}
    for position, original in enumerate(readable):
        alphabet = "0123456789" if position < 4 else _ALPHABET
        for replacement in alphabet:
            if replacement == original:
                continue
            candidate = readable[:position] + replacement + readable[position + 1 :]
            parsed = parse_permit_number(_spelled(candidate))
            if parsed is not None:
                year, serial = parsed
                found[format_permit_number(year, serial)] = serial
    return tuple(sorted(found.items()))
