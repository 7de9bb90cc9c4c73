"""The reconciliation export as German spreadsheet users expect it.

Semicolon-separated (the comma is the decimal separator), UTF-8 with a byte-order mark (so
Excel reads umlauts), CRLF line ends, amounts with a decimal comma and no thousands
separator. Every text cell is defused against formula injection (OWASP "CSV injection"): a
cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
apostrophe, so a payment id a provider sent can never run as a formula. Amounts are
numbers we format ourselves and stay numbers.

Two tables in one file, separated by an empty line: the lines (one per payment, refund or
issued permit) and the totals per day and form, the way a cash office checks a day.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["BOM", "defuse", "euros", "ledger_csv"]

BOM = "\ufeff"
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_KINDS = {"payment": "Zahlung", "refund": "Erstattung", "issuance": "Ausstellung"}

ENTRY_HEADER = (
    "Tag",
    "Uhrzeit",
    "Art",
    "Formular",
    "Antrag",
    "Kassenzeichen",
    "Anbieter",
    "Zahlungs-ID",
    "Ereignis-ID",
    "Ausweisnummer",
    "Betrag",
    "Währung",
)
TOTALS_HEADER = (
    "Tag",
    "Formular",
    "Zahlungen (Anzahl)",
    "Zahlungen",
    "Erstattungen (Anzahl)",
    "Erstattungen",
    "Ausgestellte Ausweise",
    "Saldo",
    "Währung",
)


def defuse(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_DANGEROUS) else text


def euros(cents: int) -> str:
    """``1234`` → ``12,34``; ``-5`` → ``-0,05`` (a number we made, not text from outside)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole},{rest:02d}"


def _signed(entry: Mapping[str, Any]) -> str:
    if entry["kind"] == "issuance":
        return euros(0)
    cents = int(entry["amount_cents"])
    return euros(-cents if entry["kind"] == "refund" else cents)


def ledger_csv(entries: Iterable[Mapping[str, Any]], totals: Sequence[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(ENTRY_HEADER)
    for entry in entries:
        writer.writerow(
            [
                defuse(entry["day"]),
                defuse(entry["local_time"]),
                defuse(_KINDS.get(str(entry["kind"]), entry["kind"])),
                defuse(entry["form_id"]),
                defuse(entry["application_id"]),
                defuse(entry["payment_reference"]),
                defuse(entry["provider"]),
                defuse(entry["payment_id"]),
                defuse(entry["event_id"]),
                defuse(entry["permit_number"]),
                _signed(entry),
                defuse(entry["currency"]),
            ]
        )
    writer.writerow([])
    writer.writerow(TOTALS_HEADER)
    for row in totals:
        writer.writerow(
            [
                defuse(row["day"]),
                defuse(row["form_id"]),
                str(row["payments_count"]),
                euros(int(row["payments_cents"])),
                str(row["refunds_count"]),
                euros(int(row["refunds_cents"])),
                str(row["issued_count"]),
                euros(int(row["net_cents"])),
                defuse(row["currency"]),
            ]
        )
    return BOM + out.getvalue()
