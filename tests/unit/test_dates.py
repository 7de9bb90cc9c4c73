"""Permit dates: Berlin calendar days, month arithmetic at month ends, inclusive validity.

A day wrong here is a permit that expires a day early at the roadside (a fine for a paying
resident) or a day late, so the month-end and daylight-saving edges are pinned exactly.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.dates import add_months, berlin_today, format_de, validity_end


@pytest.mark.parametrize(
    ("now", "today"),
    [
        (datetime(2026, 11, 21, 10, 0, tzinfo=UTC), date(2026, 11, 21)),
        # Winter (CET, UTC+1): the Berlin day turns at 23:00 UTC.
        (datetime(2026, 11, 21, 22, 59, 59, tzinfo=UTC), date(2026, 11, 21)),
        (datetime(2026, 11, 21, 23, 0, tzinfo=UTC), date(2026, 11, 22)),
        (datetime(2026, 11, 21, 23, 30, tzinfo=UTC), date(2026, 11, 22)),
        # Summer (CEST, UTC+2): the Berlin day turns at 22:00 UTC.
        (datetime(2026, 6, 30, 21, 59, 59, tzinfo=UTC), date(2026, 6, 30)),
        (datetime(2026, 6, 30, 22, 0, tzinfo=UTC), date(2026, 7, 1)),
        # New Year's Eve in Berlin is already the next year.
        (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), date(2027, 1, 1)),
        # An aware time in another zone means the same instant.
        (datetime(2026, 11, 21, 18, 0, tzinfo=timezone(timedelta(hours=-5))), date(2026, 11, 22)),
    ],
)
def test_berlin_today_is_the_calendar_day_in_berlin(now: datetime, today: date) -> None:
    assert berlin_today(now) == today


def test_berlin_today_refuses_a_naive_time() -> None:
    """A naive datetime would be read in the machine's zone: a different day on another host."""
    with pytest.raises(ValueError, match="aware"):
        berlin_today(datetime(2026, 11, 21, 23, 30))


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 11, 21), 0, date(2026, 11, 21)),
        (date(2026, 11, 21), 3, date(2027, 2, 21)),
        (date(2026, 11, 21), 12, date(2027, 11, 21)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),  # clamped
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 12, 31), 1, date(2027, 1, 31)),  # across the year
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 11, 21), 24, date(2028, 11, 21)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
    ],
)
def test_add_months_keeps_the_day_and_clamps_at_month_end(
    start: date, months: int, expected: date
) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("start", "months", "last_day"),
    [
        (date(2026, 11, 21), 12, date(2027, 11, 20)),  # the docstring's example
        (date(2026, 11, 21), 6, date(2027, 5, 20)),
        (date(2026, 11, 21), 24, date(2028, 11, 20)),
        (date(2027, 1, 1), 6, date(2027, 6, 30)),
        (date(2027, 1, 1), 12, date(2027, 12, 31)),
        (date(2027, 3, 1), 12, date(2028, 2, 29)),
        # BGB § 188 (3): when the target month has no matching day, the period ends with that
        # month's last day. Clamping first and subtracting afterwards would end it a day early.
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2027, 1, 29), 1, date(2027, 2, 28)),
        (date(2027, 1, 28), 1, date(2027, 2, 27)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 5, 31), 6, date(2026, 11, 30)),
        (date(2026, 12, 31), 12, date(2027, 12, 30)),
    ],
)
def test_validity_end_is_the_last_valid_day_inclusive(
    start: date, months: int, last_day: date
) -> None:
    assert validity_end(start, months) == last_day


@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2100, 1, 1)),
    months=st.sampled_from([1, 3, 6, 12, 24]),
)
def test_validity_is_never_shorter_than_the_next_start_day(start: date, months: int) -> None:
    """Starting a day later never ends earlier, and the next permit starts right after."""
    end = validity_end(start, months)
    assert end >= start
    assert validity_end(start + timedelta(days=1), months) >= end
    assert end + timedelta(days=1) >= add_months(start, months)


def test_format_de() -> None:
    assert format_de(date(2027, 2, 1)) == "01.02.2027"


def test_berlin_comes_from_the_pinned_tzdata_package_not_the_host() -> None:
    """Lambda's image, CI and a laptop carry different tz databases (or none): use one."""
    import subprocess
    import sys
    from pathlib import Path

    import tzdata

    from chalicelib.domain import dates

    assert dates.BERLIN_ZONE_FILE.is_relative_to(Path(tzdata.__file__).parent)
    assert str(dates.BERLIN) == "Europe/Berlin"
    # With the host's database out of reach (PYTHONTZPATH names an empty place), Berlin days
    # still turn at 23:00 UTC in winter and 22:00 UTC in summer.
    probe = (
        "from datetime import UTC, datetime; from chalicelib.domain.dates import berlin_today;"
        "print(berlin_today(datetime(2026, 11, 21, 23, 0, tzinfo=UTC)),"
        " berlin_today(datetime(2026, 6, 30, 22, 0, tzinfo=UTC)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=Path(dates.__file__).parents[2],
        env={"PYTHONTZPATH": "/nonexistent", "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == ["2026-11-22", "2026-07-01"]
