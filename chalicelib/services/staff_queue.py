"""Use case: the staff work queue, in the order staff work it, page by page.

Order: flagged applications first (someone must look at the money), then those awaiting
payment, then submitted ones, then the recently issued. Each is a sparse partition of
GSI1 per Berlin day (``QUEUE#<queue>#<day>``), so the queue is read by keys only: for each
queue, the days of a window (today and the 13 days before, or the one day asked for), work
queues oldest day first (who has waited longest), issued ones newest first.

The cursor is opaque to clients: the position (queue, day, last sort key), the filters it
belongs to and the window's last day, signed with a key derived from the service secret.
A tampered or foreign cursor is refused with 422 naming ``cursor``, never a 500 and never
a read at a position the client invented. A form filter is applied to the rows read (the
index holds keys only); a request examines at most ``MAX_EXAMINED`` entries and then
returns what it found with a cursor to go on, so a rare form never makes one call slow.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from chalicelib.domain.access import sign, unsign
from chalicelib.domain.dates import berlin_today
from chalicelib.domain.errors import FieldError, ValidationFailedError
from chalicelib.services.ports import ApplicationStore, Clock
from chalicelib.services.staff_rows import application_row

__all__ = ["QUEUES", "QueueFilters", "StaffQueue"]

QUEUES = ("FLAGGED", "AWAITING_PAYMENT", "SUBMITTED", "ISSUED")
WINDOW_DAYS = 14
DEFAULT_LIMIT = 25
MAX_LIMIT = 100
MAX_EXAMINED = 200


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""  # one of QUEUES, or "" for all in order
    day: str = ""  # YYYY-MM-DD, or "" for the window
    form: str = ""  # a form id, or "" for every form
    limit: int = DEFAULT_LIMIT

    def fingerprint(self) -> str:
        return f"{self.status}|{self.day}|{self.form}|{self.limit}"


def _invalid(pointer: str, code: str = "invalid") -> ValidationFailedError:
    return ValidationFailedError([FieldError(pointer, code)])


def parse_filters(
    status: str | None, day: str | None, form: str | None, limit: str | None, forms: set[str]
) -> QueueFilters:
    """Query parameters as filters; each bad one is a 422 naming it (``/status``, ...)."""
    problems: list[FieldError] = []
    status = (status or "").strip().upper()
    if status and status not in QUEUES:
        problems.append(FieldError("/status", "enum", {"allowed": ", ".join(QUEUES)}))
    day = (day or "").strip()
    if day:
        try:
            date.fromisoformat(day)
        except ValueError:
            problems.append(FieldError("/day", "format", {"format": "YYYY-MM-DD"}))
    form = (form or "").strip()
    if form and form not in forms:
        problems.append(FieldError("/form", "enum", {"allowed": ", ".join(sorted(forms))}))
    size = DEFAULT_LIMIT
    if limit:
        if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
            problems.append(FieldError("/limit", "maximum", {"limit": MAX_LIMIT}))
        else:
            size = int(limit)
    if problems:
        raise ValidationFailedError(problems)
    return QueueFilters(status, day, form, size)


@dataclass(frozen=True)
class _Position:
    queue: int  # index into the queues walked
    day: str
    after: str | None  # sort key of the last row shown in that partition


class StaffQueue:
    def __init__(self, store: ApplicationStore, clock: Clock, cursor_key: bytes) -> None:
        self._store = store
        self._clock = clock
        self._key = cursor_key

    def page(self, filters: QueueFilters, cursor: str | None = None) -> dict[str, Any]:
        if cursor:
            anchor, position = self._decode(cursor, filters)
        else:
            anchor, position = berlin_today(self._clock.now()), None
        queues = (filters.status,) if filters.status else QUEUES
        rows: list[dict[str, Any]] = []
        examined = 0
        partitions = [
            (qi, day)
            for qi, queue in enumerate(queues)
            for day in self._days(queue, filters, anchor)
        ]
        start = 0
        if position is not None:
            start = next(
                (i for i, p in enumerate(partitions) if p == (position.queue, position.day)),
                len(partitions),
            )
        for index in range(start, len(partitions)):
            qi, day = partitions[index]
            queue = queues[qi]
            after = position.after if position is not None and index == start else None
            more = True
            while more:
                batch, more = self._store.queue_page(
                    queue,
                    day,
                    after=after,
                    limit=MAX_LIMIT if filters.form else filters.limit - len(rows),
                    newest_first=queue == "ISSUED",
                )
                for app_id, sort_key in batch:
                    after = sort_key
                    examined += 1
                    app = self._store.get_application(app_id)
                    if app is not None and (not filters.form or app.form_id == filters.form):
                        rows.append({**application_row(app), "queue": queue})
                    if len(rows) >= filters.limit or examined >= MAX_EXAMINED:
                        here = _Position(qi, day, after)
                        return self._page(rows, filters, anchor, here)
        return self._page(rows, filters, anchor, None)

    def _days(self, queue: str, filters: QueueFilters, anchor: date) -> list[str]:
        if filters.day:
            return [filters.day]
        days = [(anchor - timedelta(days=back)).isoformat() for back in range(WINDOW_DAYS)]
        return days if queue == "ISSUED" else days[::-1]

    def _page(
        self,
        rows: list[dict[str, Any]],
        filters: QueueFilters,
        anchor: date,
        position: _Position | None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "applications": rows,
            "window": {"last_day": anchor.isoformat(), "days": 1 if filters.day else WINDOW_DAYS},
            "next_cursor": None,
        }
        if position is not None:
            body["next_cursor"] = self._encode(filters, anchor, position)
        return body

    def _encode(self, filters: QueueFilters, anchor: date, position: _Position) -> str:
        payload = json.dumps(
            [
                filters.fingerprint(),
                anchor.isoformat(),
                position.queue,
                position.day,
                position.after,
            ],
            separators=(",", ":"),
        )
        packed = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
        return sign(self._key, packed)

    def _decode(self, cursor: str, filters: QueueFilters) -> tuple[date, _Position]:
        packed = unsign(self._key, cursor) if len(cursor) <= 1024 else None
        if packed is None:
            raise _invalid("/cursor", "cursor_invalid")
        try:
            raw = base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4))
            fingerprint, anchor, queue, day, after = json.loads(raw)
            position = _Position(int(queue), str(day), None if after is None else str(after))
            last_day = date.fromisoformat(anchor)
        except (ValueError, TypeError) as error:  # signed by us, so only a bug lands here
            raise _invalid("/cursor", "cursor_invalid") from error
        if fingerprint != filters.fingerprint():  # a cursor of other filters: start again
            raise _invalid("/cursor", "cursor_invalid")
        return last_day, position
