"""German licence plates: one canonical form so that `dn ab 123` and `DN-AB 123` are one plate.

The canonical form (uppercase, no spaces or hyphens) is what the token signs and what the
store compares. It loses the split between district and recognition letters; enforcement
compares it with the plate on the car, where both readings look the same, so nothing is lost
for the one person who reads it.
"""

from __future__ import annotations

import re

__all__ = ["PLATE_PATTERN", "normalise_plate"]

# District 1-3 letters (umlauts occur: LÖ, MÜ, DÜW), 1-2 recognition letters, 1-4 digits
# without a leading zero, optional E (electric) or H (historic) suffix. `\Z`, not `$`: in
# Python `$` also matches before a trailing newline, so "DNAB123\n" would pass.
PLATE_PATTERN = re.compile(r"^[A-ZÄÖÜ]{1,3}[A-Z]{1,2}[1-9][0-9]{0,3}[EH]?\Z")
_SEPARATORS = re.compile(r"[\s-]+")


def normalise_plate(raw: str) -> str:
    """Uppercase and drop separators; the caller checks the result against PLATE_PATTERN."""
    return _SEPARATORS.sub("", raw).upper()
