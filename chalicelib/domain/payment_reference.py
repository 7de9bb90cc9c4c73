"""The payment reference (Kassenzeichen) of an application: at most 27 characters.

German public-sector payment platforms (ePayBL, XBezahldienste) and the city's cash office
(Stadtkasse) match payments by a reference of at most 27 characters; SEPA's unstructured
remittance line and most card statements show the same. Staff export it for finance, the
citizen may read it out on the phone.

The reference is derived from the application id alone, so it needs no counter item and no
index: the id's 128 random bits are written in Crockford base32 (26 symbols, no I, L, O, U)
followed by one Luhn mod 32 check symbol, 27 symbols in all. It is therefore *reversible*:
:func:`application_id_from_reference` turns a reference from a bank statement back into the
application id without any lookup, and a mistyped symbol fails the check instead of
pointing at another citizen's application.

Ids that are not 32 hex digits (only tests make those) get a reference from a hash of the
id: still deterministic and at most 27 characters, but not reversible.
"""

from __future__ import annotations

import hashlib
import re

from chalicelib.domain.permit_number import _ALPHABET, _VALUES, _check_symbol

__all__ = ["MAX_REFERENCE_LENGTH", "application_id_from_reference", "payment_reference"]

MAX_REFERENCE_LENGTH = 27
_HEX_ID = re.compile(r"[0-9a-f]{32}")
_SYMBOLS = 26  # ceil(128 / 5)
_REFERENCE = re.compile(rf"[0-9A-HJKMNP-TV-Z]{{{_SYMBOLS + 1}}}")


def _encode(value: int) -> str:
    return "".join(_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(_SYMBOLS)))


def payment_reference(application_id: str) -> str:
    """The application's payment reference: 27 symbols of ``0-9A-Z`` without I, L, O, U."""
    if _HEX_ID.fullmatch(application_id):
        value = int(application_id, 16)
    else:
        value = int.from_bytes(hashlib.sha256(application_id.encode("utf-8")).digest()[:16])
    symbols = _encode(value)
    return symbols + _check_symbol(symbols)


def application_id_from_reference(reference: str) -> str | None:
    """The application id a reference stands for, or None when it is not a valid reference.

    Forgiving about what people type: case, spaces and hyphens are ignored, and O/I/L are
    read as 0/1/1 as in permit numbers.
    """
    text = re.sub(r"[\s-]", "", reference).upper()
    text = text.replace("O", "0").replace("I", "1").replace("L", "1")
    if not _REFERENCE.fullmatch(text):
        return None
    symbols, check = text[:-1], text[-1]
    if _check_symbol(symbols) != check:
        return None
    value = 0
    for char in symbols:
        value = value * 32 + _VALUES[char]
    if value >= 2**128:
        return None
    return f"{value:032x}"
