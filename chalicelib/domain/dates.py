"""Dates as the permit sees them: Europe/Berlin calendar days, end inclusive."""

from __future__ import annotations

import calendar as _calendar
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import tzdata

__all__ = ["BERLIN", "BERLIN_ZONE_FILE", "add_months", "berlin_today", "format_de", "validity_end"]

# From the pinned tzdata package (requirements.txt), never the host's database:
# ``ZoneInfo("Europe/Berlin")`` prefers /usr/share/zoneinfo, which differs between a laptop,
# CI and Lambda's image (or is missing there), so the same instant could fall on different
# Berlin days. One database everywhere; reading the 2 KB file costs microseconds.
BERLIN_ZONE_FILE = Path(tzdata.__file__).parent / "zoneinfo" / "Europe" / "Berlin"
with BERLIN_ZONE_FILE.open("rb") as _zone:
    BERLIN = ZoneInfo.from_file(_zone, key="Europe/Berlin")


def berlin_today(now: datetime) -> date:
    """The calendar day in Berlin at ``now`` (aware); a permit bought at 00:30 CET is today's.

    A naive ``now`` is refused: ``astimezone`` would read it in the host's zone, so the same
    code would see another day on a laptop in Berlin than in Lambda (UTC).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("berlin_today needs a timezone-aware datetime")
    return now.astimezone(BERLIN).date()


def add_months(start: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, _calendar.monthrange(year, month)[1])
    return date(year, month, day)


def validity_end(start: date, months: int) -> date:
    """Last valid day (inclusive): 12 months from 21 Nov 2026 ends on 20 Nov 2027.

    The period ends the day before the matching day ``months`` later; when the last month
    has no matching day (31 Jan + 1 month), it ends with that month's last day, as BGB
    § 188 (3) has it: 31 Jan + 1 month ends on 28 Feb, 29 Feb 2028 + 12 months on 28 Feb
    2029. (Clamping first and then subtracting a day would end both a day early.)
    """
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    last_day_of_month = _calendar.monthrange(year, month)[1]
    if start.day > last_day_of_month:
        return date(year, month, last_day_of_month)
    return date(year, month, start.day) - timedelta(days=1)


def format_de(day: date) -> str:
    return day.strftime("%d.%m.%Y")
