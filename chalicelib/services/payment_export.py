"""Use case: finance's reconciliation export of payments, refunds and issued permits.

Reads the ledger (``LEDGER#<Berlin day>`` partitions, one Query per day, written in the
same transactions as the payments, refunds and issuances they book) for a date range of at
most 31 days, and totals it per day and form. The totals are sums of the ledger's lines,
which are the provider's events booked once each, so they match the provider's reports.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from chalicelib.domain.dates import BERLIN
from chalicelib.domain.errors import FieldError, ValidationFailedError
from chalicelib.domain.payment_reference import payment_reference
from chalicelib.domain.records import LedgerEntry
from chalicelib.services.ports import ApplicationStore

__all__ = ["MAX_DAYS", "LedgerExport", "PaymentExport", "parse_range"]

MAX_DAYS = 31
FORMATS = ("json", "csv")


@dataclass(frozen=True)
class LedgerExport:
    start: date
    end: date
    entries: list[LedgerEntry]

    def totals(self) -> list[dict[str, Any]]:
        """Per day, form and currency: payments, refunds (count and cents), permits issued."""
        sums: dict[tuple[str, str, str], dict[str, int]] = defaultdict(
            lambda: {
                "payments_count": 0,
                "payments_cents": 0,
                "refunds_count": 0,
                "refunds_cents": 0,
                "issued_count": 0,
            }
        )
        for entry in self.entries:
            row = sums[(entry.day.isoformat(), entry.form_id, entry.currency)]
            if entry.kind == "payment":
                row["payments_count"] += 1
                row["payments_cents"] += entry.amount_cents
            elif entry.kind == "refund":
                row["refunds_count"] += 1
                row["refunds_cents"] += entry.amount_cents
            elif entry.kind == "issuance":
                row["issued_count"] += 1
        return [
            {
                "day": day,
                "form_id": form_id,
                "currency": currency,
                **row,
                "net_cents": row["payments_cents"] - row["refunds_cents"],
            }
            for (day, form_id, currency), row in sorted(sums.items())
        ]

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "entries": [entry_view(entry) for entry in self.entries],
            "totals": self.totals(),
        }


def entry_view(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "day": entry.day.isoformat(),
        "at": entry.at.isoformat(),
        "kind": entry.kind,
        "form_id": entry.form_id,
        "application_id": entry.application_id,
        "payment_reference": payment_reference(entry.application_id),
        "provider": entry.provider,
        "payment_id": entry.payment_id,
        "event_id": entry.event_id,
        "permit_number": entry.permit_number,
        "amount_cents": entry.amount_cents,
        "currency": entry.currency,
        "local_time": entry.at.astimezone(BERLIN).strftime("%H:%M:%S"),
    }


def parse_range(start: str | None, end: str | None, fmt: str | None) -> tuple[date, date, str]:
    """``from``/``to`` as Berlin days (both inclusive, at most 31 days), and the format.

    Each bad parameter is a 422 naming it; a range that is too long names ``/to``.
    """
    problems: list[FieldError] = []
    days: list[date | None] = []
    for name, raw in (("from", start), ("to", end)):
        try:
            days.append(date.fromisoformat((raw or "").strip()))
        except ValueError:
            days.append(None)
            problems.append(FieldError(f"/{name}", "format", {"format": "YYYY-MM-DD"}))
    chosen = (fmt or "json").strip().lower()
    if chosen not in FORMATS:
        problems.append(FieldError("/format", "enum", {"allowed": ", ".join(FORMATS)}))
    first, last = days
    if first is not None and last is not None:
        if last < first:
            problems.append(FieldError("/to", "range_reversed"))
        elif (last - first).days + 1 > MAX_DAYS:
            problems.append(FieldError("/to", "range_too_long", {"limit": MAX_DAYS}))
    if problems or first is None or last is None:
        raise ValidationFailedError(problems)
    return first, last, chosen


class PaymentExport:
    def __init__(self, store: ApplicationStore) -> None:
        self._store = store

    def export(self, start: date, end: date) -> LedgerExport:
        entries: list[LedgerEntry] = []
        day = start
        while day <= end:
            entries += self._store.ledger_entries(day)
            day += timedelta(days=1)
        return LedgerExport(start, end, entries)
