"""Dates as the permit sees them: Europe/Berlin calendar days, end inclusive."""

from __future__ import annotations

import calendar as _calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["BERLIN", "add_months", "berlin_today", "format_de", "validity_end"]

BERLIN = ZoneInfo("Europe/Berlin")


def berlin_today(now: datetime) -> date:
    """The calendar day in Berlin at ``now`` (aware); a permit bought at 00:30 CET is today's."""
    return now.astimezone(BERLIN).date()


def add_months(start: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, _calendar.monthrange(year, month)[1])
    return date(year, month, day)


def validity_end(start: date, months: int) -> date:
    """Last valid day (inclusive): 12 months from 21 Nov 2026 ends on 20 Nov 2027."""
    return add_months(start, months) - timedelta(days=1)


def format_de(day: date) -> str:
    return day.strftime("%d.%m.%Y")
