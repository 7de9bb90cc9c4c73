"""Fee rules as data: which table is in force on a day, and what it charges for a document.

A form's ``x-service.fee`` holds a currency, a rounding rule and one or more tables, each
with the day it takes effect (``effective_from``, a Europe/Berlin calendar day). The table
in force on the day of submission applies, so a new fee can be published ahead of time.
Each table has one ``kind``:

- ``flat``: one amount.
- ``by_option``: an amount per value of one field (e.g. the duration in months).
- ``per_unit``: a rate times a count (days or months of validity).
- ``length_classes``: an amount per vehicle length class, as in Köln (optionally per option
  of another field, e.g. 12 or 24 months).
- ``vehicle_area``: length x width x a rate per square metre, with a minimum, as in Koblenz
  and Aachen; length and width in mm, as fields 18 and 19 of the Zulassungsbescheinigung
  Teil I give them.

Money is integer cents throughout. Only ``vehicle_area`` produces fractions of a cent: the
exact amount is kept as a fraction and rounded once, to ``rounding.unit_cents`` (1 = to the
cent, 100 = to the euro) by ``rounding.mode`` (``half_up``: 0.5 rounds up, as in commerce;
``down``; ``up``); the minimum applies after rounding. Every result carries a breakdown in
German and English, so the citizen sees how the fee was computed.

This module trusts its input: the meta-schema and the form checks (``form_checks``) have
already made sure that every table is well formed and covers every valid document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from chalicelib.domain.pointers import MISSING, resolve_pointer

__all__ = [
    "FeeResult",
    "FeeSchedule",
    "FeeTable",
    "format_cents",
    "format_mm",
]

Text = dict[str, str]


def format_cents(cents: int, lang: str) -> str:
    """``1234567`` -> ``12.345,67 €`` (de) or ``€12,345.67`` (en)."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    grouped = f"{euros:,}"
    if lang == "de":
        return f"{sign}{grouped.replace(',', '.')},{rest:02d} €"
    return f"{sign}€{grouped}.{rest:02d}"


def format_mm(mm: int, lang: str) -> str:
    """A length in mm as metres with three decimals: ``4255`` -> ``4,255 m`` / ``4.255 m``."""
    metres, rest = divmod(mm, 1000)
    separator = "," if lang == "de" else "."
    return f"{metres}{separator}{rest:03d} m"


def _grouped(number: int, lang: str) -> str:
    text = f"{number:,}"
    return text.replace(",", ".") if lang == "de" else text


def _round(amount: Fraction, mode: str, unit_cents: int) -> int:
    units = amount / unit_cents
    if mode == "down":
        whole = units.numerator // units.denominator
    elif mode == "up":
        whole = -((-units.numerator) // units.denominator)
    else:  # half_up; amounts are never negative
        whole = int(units + Fraction(1, 2))
    return whole * unit_cents


_UNIT_WORDS = {
    "day": (("Tag", "Tage"), ("day", "days")),
    "month": (("Monat", "Monate"), ("month", "months")),
}
_ROUNDING_WORDS = {
    ("half_up", 1): ("kaufmännisch auf volle Cent gerundet", "rounded half up to the cent"),
    ("half_up", 100): ("kaufmännisch auf volle Euro gerundet", "rounded half up to the euro"),
    ("down", 1): ("auf volle Cent abgerundet", "rounded down to the cent"),
    ("down", 100): ("auf volle Euro abgerundet", "rounded down to the euro"),
    ("up", 1): ("auf volle Cent aufgerundet", "rounded up to the cent"),
    ("up", 100): ("auf volle Euro aufgerundet", "rounded up to the euro"),
}


def _unit_word(unit: str, count: int, lang: str) -> str:
    german, english = _UNIT_WORDS[unit]
    singular, plural = german if lang == "de" else english
    return singular if count == 1 else plural


@dataclass(frozen=True)
class FeeResult:
    """The fee for one document, and how it was computed (JSON-ready)."""

    amount_cents: int
    currency: str
    breakdown: dict[str, Any]


@dataclass(frozen=True)
class FeeTable:
    effective_from: date
    rule: Mapping[str, Any]

    @property
    def kind(self) -> str:
        return str(self.rule["kind"])

    def pointers(self) -> dict[str, str]:
        """The fields this table reads, by role (``by``, ``length``, ``width``)."""
        return {
            role: str(self.rule[role]) for role in ("by", "length", "width") if role in self.rule
        }


class FeeSchedule:
    """Every fee table of a form, ordered by the day each takes effect."""

    def __init__(
        self,
        currency: str,
        tables: list[FeeTable],
        rounding_mode: str = "half_up",
        rounding_unit_cents: int = 1,
        labels: Mapping[str, Text] | None = None,
    ) -> None:
        self.currency = currency
        self.tables = tuple(sorted(tables, key=lambda table: table.effective_from))
        self.rounding_mode = rounding_mode
        self.rounding_unit_cents = rounding_unit_cents
        self._labels = dict(labels or {})

    @classmethod
    def from_json(cls, fee: Mapping[str, Any], labels: Mapping[str, Text]) -> FeeSchedule:
        """From ``x-service.fee`` (already checked by the meta-schema)."""
        rounding = fee.get("rounding") or {}
        tables = [
            FeeTable(
                date.fromisoformat(entry["effective_from"]),
                {key: value for key, value in entry.items() if key != "effective_from"},
            )
            for entry in fee["tables"]
        ]
        return cls(
            str(fee["currency"]),
            tables,
            str(rounding.get("mode", "half_up")),
            int(rounding.get("unit_cents", 1)),
            labels,
        )

    def table_on(self, day: date) -> FeeTable | None:
        """The table in force on ``day``: the latest one that took effect on or before it."""
        found = None
        for table in self.tables:
            if table.effective_from <= day:
                found = table
        return found

    def rounding_text(self) -> Text:
        german, english = _ROUNDING_WORDS.get(
            (self.rounding_mode, self.rounding_unit_cents),
            (
                f"gerundet ({self.rounding_mode}, {self.rounding_unit_cents} Cent)",
                f"rounded ({self.rounding_mode}, {self.rounding_unit_cents} cents)",
            ),
        )
        return {"de": german, "en": english}

    def compute(self, data: Any, day: date) -> FeeResult | None:
        """The fee for ``data`` submitted on ``day``; None when no table covers it (a form bug)."""
        table = self.table_on(day)
        if table is None:
            return None
        return self.compute_with(table, data)

    def compute_with(self, table: FeeTable, data: Any) -> FeeResult | None:
        computed = _KINDS[table.kind](self, table.rule, data)
        if computed is None:
            return None
        amount, explanation, inputs = computed
        breakdown: dict[str, Any] = {
            "kind": table.kind,
            "effective_from": table.effective_from.isoformat(),
            "explanation": explanation,
        }
        if inputs:
            breakdown["inputs"] = inputs
        return FeeResult(amount, self.currency, breakdown)

    # -- listings ------------------------------------------------------------------------

    def summary(self, table: FeeTable) -> Text:
        """One line per table for listings: ``2,50 € pro Tag``."""
        rule = table.rule
        kind = table.kind
        if kind == "flat":
            cents = int(rule["amount_cents"])
            return {"de": format_cents(cents, "de"), "en": format_cents(cents, "en")}
        if kind == "by_option":
            amounts = [int(v) for v in rule["amounts_cents"].values()]
            low, high = min(amounts), max(amounts)
            return {
                "de": f"{format_cents(low, 'de')} bis {format_cents(high, 'de')}",
                "en": f"{format_cents(low, 'en')} to {format_cents(high, 'en')}",
            }
        if kind == "per_unit":
            rate = int(rule["rate_cents"])
            german, english = _UNIT_WORDS[str(rule["unit"])]
            return {
                "de": f"{format_cents(rate, 'de')} pro {german[0]}",
                "en": f"{format_cents(rate, 'en')} per {english[0]}",
            }
        if kind == "length_classes":
            amounts = [
                int(v)
                for c in rule["classes"]
                for v in (
                    [c["amount_cents"]] if "amount_cents" in c else c["amounts_cents"].values()
                )
            ]
            return {
                "de": f"nach Fahrzeuglänge: {format_cents(min(amounts), 'de')} bis "
                f"{format_cents(max(amounts), 'de')}",
                "en": f"by vehicle length: {format_cents(min(amounts), 'en')} to "
                f"{format_cents(max(amounts), 'en')}",
            }
        rate = int(rule["rate_cents_per_m2"])
        minimum = int(rule.get("minimum_cents", 0))
        return {
            "de": f"Länge × Breite × {format_cents(rate, 'de')}/m², mindestens "
            f"{format_cents(minimum, 'de')}",
            "en": f"length × width × {format_cents(rate, 'en')}/m², at least "
            f"{format_cents(minimum, 'en')}",
        }

    def label(self, pointer: str) -> Text:
        return self._labels.get(pointer, {"de": pointer, "en": pointer})


_Computed = tuple[int, Text, dict[str, Any]] | None


def _int_at(data: Any, pointer: str) -> int | None:
    value = resolve_pointer(data, pointer)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _option(data: Any, pointer: str) -> str | None:
    value = resolve_pointer(data, pointer)
    if value is MISSING or isinstance(value, (dict, list)) or value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _flat(schedule: FeeSchedule, rule: Mapping[str, Any], data: Any) -> _Computed:
    cents = int(rule["amount_cents"])
    explanation = {
        "de": f"Feste Gebühr: {format_cents(cents, 'de')}",
        "en": f"Flat fee: {format_cents(cents, 'en')}",
    }
    return cents, explanation, {}


def _by_option(schedule: FeeSchedule, rule: Mapping[str, Any], data: Any) -> _Computed:
    pointer = str(rule["by"])
    choice = _option(data, pointer)
    if choice is None or choice not in rule["amounts_cents"]:
        return None
    cents = int(rule["amounts_cents"][choice])
    label = schedule.label(pointer)
    explanation = {
        "de": f"{label['de']}: {choice} – {format_cents(cents, 'de')}",
        "en": f"{label['en']}: {choice} – {format_cents(cents, 'en')}",
    }
    return cents, explanation, {pointer: choice}


def _per_unit(schedule: FeeSchedule, rule: Mapping[str, Any], data: Any) -> _Computed:
    pointer = str(rule["by"])
    count = _int_at(data, pointer)
    if count is None or count < 0:
        return None
    rate = int(rule["rate_cents"])
    unit = str(rule["unit"])
    cents = count * rate
    explanation = {
        lang: f"{count} {_unit_word(unit, count, lang)} × {format_cents(rate, lang)} = "
        f"{format_cents(cents, lang)}"
        for lang in ("de", "en")
    }
    return cents, explanation, {pointer: count}


def _length_classes(schedule: FeeSchedule, rule: Mapping[str, Any], data: Any) -> _Computed:
    length_pointer = str(rule["length"])
    length = _int_at(data, length_pointer)
    if length is None:
        return None
    lower = 0
    chosen: Mapping[str, Any] | None = None
    for entry in rule["classes"]:
        upper = entry.get("up_to_mm")
        if upper is None or length <= int(upper):
            chosen = entry
            break
        lower = int(upper) + 1
    if chosen is None:
        return None
    inputs: dict[str, Any] = {length_pointer: length}
    option_text = {"de": "", "en": ""}
    if "amounts_cents" in chosen:
        by = str(rule["by"])
        choice = _option(data, by)
        if choice is None or choice not in chosen["amounts_cents"]:
            return None
        cents = int(chosen["amounts_cents"][choice])
        inputs[by] = choice
        label = schedule.label(by)
        option_text = {lang: f", {label[lang]}: {choice}" for lang in ("de", "en")}
    else:
        cents = int(chosen["amount_cents"])
    upper = chosen.get("up_to_mm")
    explanation = {}
    for lang in ("de", "en"):
        if upper is None:
            span = (
                f"über {_grouped(lower - 1, lang)} mm"
                if lang == "de"
                else f"over {_grouped(lower - 1, lang)} mm"
            )
        elif lower == 0:
            span = (
                f"bis {_grouped(int(upper), lang)} mm"
                if lang == "de"
                else f"up to {_grouped(int(upper), lang)} mm"
            )
        else:
            span = f"{_grouped(lower, lang)}–{_grouped(int(upper), lang)} mm"
        words = ("Fahrzeuglänge", "Klasse") if lang == "de" else ("Vehicle length", "class")
        explanation[lang] = (
            f"{words[0]} {_grouped(length, lang)} mm ({words[1]} {span}){option_text[lang]}: "
            f"{format_cents(cents, lang)}"
        )
    return cents, explanation, inputs


def _vehicle_area(schedule: FeeSchedule, rule: Mapping[str, Any], data: Any) -> _Computed:
    length_pointer, width_pointer = str(rule["length"]), str(rule["width"])
    length = _int_at(data, length_pointer)
    width = _int_at(data, width_pointer)
    if length is None or width is None or length < 0 or width < 0:
        return None
    rate = int(rule["rate_cents_per_m2"])
    exact = Fraction(length * width * rate, 1_000_000)  # mm x mm = 1e-6 m²
    rounded = _round(exact, schedule.rounding_mode, schedule.rounding_unit_cents)
    minimum = int(rule.get("minimum_cents", 0))
    cents = max(rounded, minimum)
    rounding = schedule.rounding_text()
    explanation = {}
    for lang in ("de", "en"):
        text = (
            f"{format_mm(length, lang)} × {format_mm(width, lang)} × "
            f"{format_cents(rate, lang)}/m² = {format_cents(rounded, lang)} ({rounding[lang]})"
        )
        if minimum > rounded:
            text += (
                f"; Mindestgebühr {format_cents(minimum, lang)}"
                if lang == "de"
                else f"; minimum fee {format_cents(minimum, lang)}"
            )
        explanation[lang] = text
    inputs = {length_pointer: length, width_pointer: width}
    return cents, explanation, inputs


_KINDS = {
    "flat": _flat,
    "by_option": _by_option,
    "per_unit": _per_unit,
    "length_classes": _length_classes,
    "vehicle_area": _vehicle_area,
}
KINDS = frozenset(_KINDS)
