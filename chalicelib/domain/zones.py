"""The city's zone map: which street and house number lies in which resident parking zone.

The map is staff-edited data (``schemas/_city/zones.json``): zones with their names, groups
of zones (a tradesperson permit valid in several zones carries a group code such as ``HW``
in the token's zone field), and rows ``street, from, to, side -> zone``. A row without
``from``/``to`` covers the whole street; ``side`` is ``odd``, ``even`` or ``both``.

Street names are compared in a normal form, so that "Wirtelstraße", "Wirtelstr.",
"wirtelstrasse" and "Wirtel Straße" are one street: case folded (ß -> ss), umlauts spelled
out (ä -> ae), "strasse"/"str." shortened to "str", and everything but letters and digits
dropped. Of a house number, the leading number decides (``12a`` and ``12-14`` lie at 12).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ZONE_CODE_PATTERN",
    "StreetRow",
    "ZoneLookup",
    "ZoneMap",
    "house_number_value",
    "normalise_street",
]

ZONE_CODE_PATTERN = re.compile(r"[A-Z0-9]{1,2}\Z")  # what the token's zone field holds
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
_STREET_WORD = re.compile(r"(strasse|str\.?)(?![a-z])")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_LEADING_NUMBER = re.compile(r"\s*([0-9]{1,5})")


def normalise_street(name: str) -> str:
    """The comparison key of a street name (see the module docstring)."""
    text = unicodedata.normalize("NFKC", name).casefold().translate(_UMLAUTS)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _STREET_WORD.sub("str", text)
    return _NOT_ALNUM.sub("", text)


def house_number_value(house_number: str) -> int | None:
    match = _LEADING_NUMBER.match(house_number)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class StreetRow:
    street: str
    zone: str
    first: int  # lowest house number covered
    last: int | None  # highest covered; None = open-ended
    side: str  # odd | even | both
    index: int  # position in the file, for error pointers

    def covers(self, number: int) -> bool:
        if number < self.first or (self.last is not None and number > self.last):
            return False
        if self.side == "odd":
            return number % 2 == 1
        if self.side == "even":
            return number % 2 == 0
        return True

    def overlaps(self, other: StreetRow) -> bool:
        """Whether some house number lies in both rows."""
        low = max(self.first, other.first)
        highs = [r.last for r in (self, other) if r.last is not None]
        high = min(highs) if highs else None
        if high is not None and low > high:
            return False
        sides = {self.side, other.side} - {"both"}
        if len(sides) < 2:  # same side, or one covers both sides
            if len(sides) == 1:
                parity = 1 if sides == {"odd"} else 0
                first = low if low % 2 == parity else low + 1
                return high is None or first <= high
            return True
        return False


@dataclass(frozen=True)
class ZoneLookup:
    """Where an address lies: a zone, or why none (``unknown_street`` / ``number_outside``)."""

    zone: str | None
    problem: str | None = None


class ZoneMap:
    def __init__(
        self,
        zones: Mapping[str, Mapping[str, str]],
        groups: Mapping[str, Mapping[str, Any]],
        rows: Iterable[StreetRow],
        city: Mapping[str, str] | None = None,
        digest: str = "",
    ) -> None:
        self.digest = digest  # of the source data: tells two loads of the same file apart
        self.zones = {code: dict(name) for code, name in zones.items()}
        self.groups = {
            code: (dict(group["title"]), tuple(group["zones"])) for code, group in groups.items()
        }
        self.rows = tuple(rows)
        self.city = dict(city or {})
        self._by_street: dict[str, list[StreetRow]] = {}
        self._names: dict[str, str] = {}
        for row in self.rows:
            key = normalise_street(row.street)
            self._by_street.setdefault(key, []).append(row)
            self._names.setdefault(key, row.street)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ZoneMap:
        rows = [
            StreetRow(
                street=str(row["street"]),
                zone=str(row["zone"]),
                first=int(row.get("from", 1)),
                last=int(row["to"]) if "to" in row else None,
                side=str(row.get("side", "both")),
                index=index,
            )
            for index, row in enumerate(data["streets"])
        ]
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")
        digest = hashlib.sha256(canonical).hexdigest()
        return cls(data["zones"], data.get("groups", {}), rows, data.get("city"), digest)

    # -- codes ---------------------------------------------------------------------------

    def knows(self, code: str) -> bool:
        """A zone or a zone group of this map."""
        return code in self.zones or code in self.groups

    def title(self, code: str) -> dict[str, str]:
        """A zone's or group's name, e.g. ``{"de": "Altstadt", "en": "Old town"}``."""
        if code in self.zones:
            return dict(self.zones[code])
        if code in self.groups:
            return dict(self.groups[code][0])
        return {"de": code, "en": code}

    def members(self, code: str) -> tuple[str, ...]:
        """The zones a code stands for: itself, or a group's members."""
        if code in self.groups:
            return self.groups[code][1]
        return (code,) if code in self.zones else ()

    # -- addresses -----------------------------------------------------------------------

    def lookup(self, street: str, house_number: str) -> ZoneLookup:
        rows = self._by_street.get(normalise_street(street))
        if not rows:
            return ZoneLookup(None, "unknown_street")
        number = house_number_value(house_number)
        if number is None:
            return ZoneLookup(None, "number_outside")
        for row in rows:
            if row.covers(number):
                return ZoneLookup(row.zone)
        return ZoneLookup(None, "number_outside")

    def street_name(self, street: str) -> str | None:
        """The map's spelling of a street, if the map knows it."""
        return self._names.get(normalise_street(street))

    def suggest(self, query: str, limit: int = 10) -> list[str]:
        """Street names for a partial entry: prefix matches first, then the rest, A-Z."""
        key = normalise_street(query)
        if not key:
            return []
        prefix = sorted(
            (name for k, name in self._names.items() if k.startswith(key)), key=str.casefold
        )
        inner = sorted(
            (name for k, name in self._names.items() if key in k and not k.startswith(key)),
            key=str.casefold,
        )
        return (prefix + inner)[:limit]

    def overlapping_rows(self) -> list[tuple[StreetRow, StreetRow]]:
        """Pairs of rows of one street that claim the same house number (a data error)."""
        found = []
        for rows in self._by_street.values():
            for i, first in enumerate(rows):
                for second in rows[i + 1 :]:
                    if first.overlaps(second):
                        found.append((first, second))
        return found
