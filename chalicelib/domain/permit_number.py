"""Human-readable permit numbers that need no counter item.

The number is the issuing year plus the token's random 32-bit serial in Crockford base32
(no I, L, O, U: nothing to misread over the phone) and a check character, e.g.
``2026-0G7K-M4QX``. Uniqueness comes from a conditional put on the serial, so there is no
hot "next number" item to contend on. The serial is recoverable from the number, which lets
staff find a permit from what a caller reads out.
"""

from __future__ import annotations

import re

__all__ = ["format_permit_number", "parse_permit_number"]

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUES = {char: index for index, char in enumerate(_ALPHABET)}
_PATTERN = re.compile(r"^([0-9]{4})-([0-9A-HJKMNP-TV-Z]{4})-([0-9A-HJKMNP-TV-Z]{4})$")


def _check_symbol(symbols: str) -> str:
    """Luhn mod 32 over year digits and serial: catches every single-symbol error and most swaps."""
    total = 0
    for position, char in enumerate(reversed(symbols)):
        value = _VALUES[char] * (2 if position % 2 == 0 else 1)
        total += value // 32 + value % 32
    return _ALPHABET[(32 - total % 32) % 32]


def format_permit_number(year: int, serial: int) -> str:
    if not 0 <= serial < 2**32:
        raise ValueError("serial must fit in 32 bits")
    symbols = "".join(_ALPHABET[(serial >> shift) & 31] for shift in range(30, -1, -5))
    full = symbols + _check_symbol(f"{year:04d}" + symbols)
    return f"{year:04d}-{full[:4]}-{full[4:]}"


def parse_permit_number(number: str) -> tuple[int, int] | None:
    """(year, serial) or None when the format or the check character is wrong."""
    text = number.strip().upper().replace("O", "0").replace("I", "1").replace("L", "1")
    match = _PATTERN.match(text)
    if not match:
        return None
    symbols = match.group(2) + match.group(3)
    body, check = symbols[:7], symbols[7]
    if _check_symbol(match.group(1) + body) != check:
        return None
    serial = 0
    for char in body:
        serial = serial * 32 + _VALUES[char]
    if serial >= 2**32:
        return None
    return int(match.group(1)), serial
