"""Fee rules as data: every kind at its boundaries, across an effective date, in whole cents.

The tables here are the ones the README walks through: Köln's length classes (100/110/120 €
a year, 170/190/210 € for two years, from 1 March 2025), Koblenz's length x width x 23.40 €
per m² with a minimum of 100 € (from 1 March 2024), a visitor permit's rate per day and the
resident permit's price per duration.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from chalicelib.domain.fees import FeeSchedule, format_cents, format_mm

LABELS = {
    "/duration_months": {"de": "Gültigkeitsdauer (Monate)", "en": "Validity (months)"},
    "/days": {"de": "Tage", "en": "Days"},
}


def schedule(*tables: dict[str, Any], rounding: dict[str, Any] | None = None) -> FeeSchedule:
    fee: dict[str, Any] = {"currency": "EUR", "tables": list(tables)}
    if rounding is not None:
        fee["rounding"] = rounding
    return FeeSchedule.from_json(fee, LABELS)


KOELN = schedule(
    {"effective_from": "2020-01-01", "kind": "flat", "amount_cents": 3000},
    {"effective_from": "2024-10-01", "kind": "flat", "amount_cents": 10000},
    {
        "effective_from": "2025-03-01",
        "kind": "length_classes",
        "length": "/vehicle/length_mm",
        "by": "/duration_months",
        "classes": [
            {"up_to_mm": 4109, "amounts_cents": {"12": 10000, "24": 17000}},
            {"up_to_mm": 4709, "amounts_cents": {"12": 11000, "24": 19000}},
            {"amounts_cents": {"12": 12000, "24": 21000}},
        ],
    },
)
KOBLENZ = schedule(
    {"effective_from": "2020-01-01", "kind": "flat", "amount_cents": 3070},
    {
        "effective_from": "2024-03-01",
        "kind": "vehicle_area",
        "length": "/vehicle/length_mm",
        "width": "/vehicle/width_mm",
        "rate_cents_per_m2": 2340,
        "minimum_cents": 10000,
    },
)


def car(length: int, width: int = 1800, months: int = 12) -> dict[str, Any]:
    return {"vehicle": {"length_mm": length, "width_mm": width}, "duration_months": months}


# -- which table is in force -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "effective_from"),
    [
        (date(2024, 9, 30), "2020-01-01"),
        (date(2024, 10, 1), "2024-10-01"),  # the day a table takes effect, it applies
        (date(2025, 2, 28), "2024-10-01"),
        (date(2025, 3, 1), "2025-03-01"),
        (date(2031, 1, 1), "2025-03-01"),  # the last table stays in force
    ],
)
def test_the_table_in_force_is_the_latest_that_took_effect(day: date, effective_from: str) -> None:
    table = KOELN.table_on(day)
    assert table is not None and table.effective_from.isoformat() == effective_from


def test_before_the_first_table_there_is_no_fee() -> None:
    assert KOELN.table_on(date(2019, 12, 31)) is None
    assert KOELN.compute(car(4000), date(2019, 12, 31)) is None


def test_the_same_car_costs_what_the_day_of_submission_says() -> None:
    fees = [
        KOELN.compute(car(4500), day)
        for day in (date(2024, 9, 30), date(2024, 10, 1), date(2025, 3, 1))
    ]
    assert [fee.amount_cents for fee in fees if fee] == [3000, 10000, 11000]


# -- Köln: length classes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "months", "cents"),
    [
        (2500, 12, 10000),
        (4109, 12, 10000),  # the class bound belongs to the lower class
        (4110, 12, 11000),
        (4709, 12, 11000),
        (4710, 12, 12000),
        (5600, 12, 12000),
        (4109, 24, 17000),
        (4110, 24, 19000),
        (4710, 24, 21000),
    ],
)
def test_length_classes_at_their_bounds(length: int, months: int, cents: int) -> None:
    fee = KOELN.compute(car(length, months=months), date(2025, 3, 1))
    assert fee is not None and fee.amount_cents == cents


def test_a_length_class_explains_itself() -> None:
    fee = KOELN.compute(car(4520), date(2026, 1, 1))
    assert fee is not None
    assert fee.breakdown == {
        "kind": "length_classes",
        "effective_from": "2025-03-01",
        "explanation": {
            "de": "Fahrzeuglänge 4.520 mm (Klasse 4.110–4.709 mm), Gültigkeitsdauer (Monate): 12: 110,00 €",
            "en": "Vehicle length 4,520 mm (class 4,110–4,709 mm), Validity (months): 12: €110.00",
        },
        "inputs": {"/vehicle/length_mm": 4520, "/duration_months": "12"},
    }
    open_ended = KOELN.compute(car(5000), date(2026, 1, 1))
    assert open_ended is not None
    assert open_ended.breakdown["explanation"]["de"].startswith(
        "Fahrzeuglänge 5.000 mm (Klasse über 4.709 mm)"
    )
    lowest = KOELN.compute(car(3000), date(2026, 1, 1))
    assert lowest is not None
    assert "(Klasse bis 4.109 mm)" in lowest.breakdown["explanation"]["de"]


def test_a_length_class_without_the_option_has_no_fee() -> None:
    assert KOELN.compute(car(4000, months=6), date(2026, 1, 1)) is None
    assert (
        KOELN.compute({"vehicle": {"width_mm": 1800}, "duration_months": 12}, date(2026, 1, 1))
        is None
    )


# -- Koblenz: length x width x rate, with a minimum ----------------------------------------------


@pytest.mark.parametrize(
    ("length", "width", "cents"),
    [
        (4255, 1799, 17912),  # VW Golf 7: 179.12 €, as the city quotes it
        (2695, 1663, 10487),  # smart fortwo: 104.87 €, likewise
        (4486, 1859, 19514),  # a compact SUV: 195.1438 € -> 195.14 €
        (2500, 1500, 10000),  # 87.75 € -> the minimum of 100 €
        (2849, 1500, 10000),  # 99.99 € after rounding -> still the minimum
        (2850, 1500, 10004),  # 100.0395 € -> 100.04 €
    ],
)
def test_vehicle_area_in_whole_cents_with_a_minimum(length: int, width: int, cents: int) -> None:
    fee = KOBLENZ.compute(car(length, width), date(2024, 3, 1))
    assert fee is not None and fee.amount_cents == cents


def test_vehicle_area_before_its_effective_date_is_the_old_flat_fee() -> None:
    fee = KOBLENZ.compute(car(4255, 1799), date(2024, 2, 29))
    assert fee is not None and fee.amount_cents == 3070
    assert fee.breakdown["explanation"] == {"de": "Feste Gebühr: 30,70 €", "en": "Flat fee: €30.70"}


def test_vehicle_area_explains_the_arithmetic_and_the_minimum() -> None:
    golf = KOBLENZ.compute(car(4255, 1799), date(2025, 1, 1))
    assert golf is not None
    assert golf.breakdown["explanation"] == {
        "de": "4,255 m × 1,799 m × 23,40 €/m² = 179,12 € (kaufmännisch auf volle Cent gerundet)",
        "en": "4.255 m × 1.799 m × €23.40/m² = €179.12 (rounded half up to the cent)",
    }
    small = KOBLENZ.compute(car(2500, 1500), date(2025, 1, 1))
    assert small is not None
    assert small.breakdown["explanation"]["de"].endswith("; Mindestgebühr 100,00 €")
    assert small.breakdown["explanation"]["en"].endswith("; minimum fee €100.00")


@pytest.mark.parametrize(
    ("mode", "unit", "cents"),
    [
        # 1000 mm x 1000 mm x 0.125 €/m² ... exactly 12.5 cents
        ("half_up", 1, 13),
        ("down", 1, 12),
        ("up", 1, 13),
        ("half_up", 100, 0),
        ("up", 100, 100),
    ],
)
def test_the_rounding_rule_is_stated_and_applied(mode: str, unit: int, cents: int) -> None:
    fees = schedule(
        {
            "effective_from": "2024-01-01",
            "kind": "vehicle_area",
            "length": "/l",
            "width": "/w",
            "rate_cents_per_m2": 25,
        },
        rounding={"mode": mode, "unit_cents": unit},
    )
    half = fees.compute({"l": 500, "w": 1000}, date(2025, 1, 1))
    assert half is not None and half.amount_cents == cents


def test_half_up_rounds_an_exact_half_cent_up_and_just_below_down() -> None:
    fees = schedule(
        {
            "effective_from": "2024-01-01",
            "kind": "vehicle_area",
            "length": "/l",
            "width": "/w",
            "rate_cents_per_m2": 1,
        }
    )
    assert fees.compute({"l": 1000, "w": 500}, date(2025, 1, 1)).amount_cents == 1  # type: ignore[union-attr]
    assert fees.compute({"l": 1000, "w": 499}, date(2025, 1, 1)).amount_cents == 0  # type: ignore[union-attr]


# -- per day or month, by option, flat ---------------------------------------------------------

VISITOR = schedule(
    {
        "effective_from": "2025-01-01",
        "kind": "per_unit",
        "by": "/days",
        "unit": "day",
        "rate_cents": 250,
    },
    {
        "effective_from": "2027-01-01",
        "kind": "per_unit",
        "by": "/days",
        "unit": "day",
        "rate_cents": 300,
    },
)


@pytest.mark.parametrize(
    ("days", "day", "cents", "german"),
    [
        (1, date(2026, 12, 31), 250, "1 Tag × 2,50 € = 2,50 €"),
        (14, date(2026, 12, 31), 3500, "14 Tage × 2,50 € = 35,00 €"),
        (1, date(2027, 1, 1), 300, "1 Tag × 3,00 € = 3,00 €"),  # announced ahead, now in force
        (14, date(2027, 1, 1), 4200, "14 Tage × 3,00 € = 42,00 €"),
    ],
)
def test_per_unit_is_count_times_rate(days: int, day: date, cents: int, german: str) -> None:
    fee = VISITOR.compute({"days": days}, day)
    assert fee is not None and fee.amount_cents == cents
    assert fee.breakdown["explanation"]["de"] == german


def test_per_month_reads_months() -> None:
    fees = schedule(
        {
            "effective_from": "2025-01-01",
            "kind": "per_unit",
            "by": "/m",
            "unit": "month",
            "rate_cents": 2000,
        }
    )
    fee = fees.compute({"m": 3}, date(2026, 1, 1))
    assert fee is not None and fee.amount_cents == 6000
    assert fee.breakdown["explanation"] == {
        "de": "3 Monate × 20,00 € = 60,00 €",
        "en": "3 months × €20.00 = €60.00",
    }


@pytest.mark.parametrize("value", ["3", 2.5, True, None, -1])
def test_per_unit_without_a_count_has_no_fee(value: object) -> None:
    assert VISITOR.compute({"days": value}, date(2026, 1, 1)) is None


def test_by_option_and_flat() -> None:
    fees = schedule(
        {
            "effective_from": "2024-01-01",
            "kind": "by_option",
            "by": "/duration_months",
            "amounts_cents": {"6": 1500, "12": 3000},
        },
        {"effective_from": "2027-01-01", "kind": "flat", "amount_cents": 0},
    )
    six = fees.compute({"duration_months": 6}, date(2026, 12, 31))
    assert six is not None and six.amount_cents == 1500
    assert six.breakdown["explanation"]["de"] == "Gültigkeitsdauer (Monate): 6 – 15,00 €"
    assert fees.compute({"duration_months": 9}, date(2026, 12, 31)) is None
    free = fees.compute({"duration_months": 9}, date(2027, 1, 1))
    assert free is not None and free.amount_cents == 0


def test_summaries_for_listings() -> None:
    assert VISITOR.summary(VISITOR.tables[0]) == {"de": "2,50 € pro Tag", "en": "€2.50 per day"}
    assert (
        KOBLENZ.summary(KOBLENZ.tables[1])["de"]
        == "Länge × Breite × 23,40 €/m², mindestens 100,00 €"
    )
    assert KOELN.summary(KOELN.tables[2])["en"] == "by vehicle length: €100.00 to €210.00"


@pytest.mark.parametrize(
    ("cents", "german", "english"),
    [
        (0, "0,00 €", "€0.00"),
        (5, "0,05 €", "€0.05"),
        (123456789, "1.234.567,89 €", "€1,234,567.89"),
    ],
)
def test_money_is_printed_as_people_read_it(cents: int, german: str, english: str) -> None:
    assert (format_cents(cents, "de"), format_cents(cents, "en")) == (german, english)


def test_lengths_in_metres() -> None:
    assert (format_mm(4255, "de"), format_mm(980, "en")) == ("4,255 m", "0.980 m")
