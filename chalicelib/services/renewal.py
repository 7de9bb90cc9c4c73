"""Use case: renew an issued permit from its application (API and pages).

From ``renewal_window_days`` before the permit's last day up to that day, the citizen may
start one renewal: a new application of the same form, pre-filled from the last one (the
answers in ``x-service.lifecycle.ask_again``, by default the address and the declarations,
are asked again), whose permit starts the day after the old one ends. It is submitted like
any application (the fee in force today, payment as usual, the confirmation mail with its
own private link) in the same transaction that records the renewal on the old application,
conditional on the old one's version, so two renewals started at once cannot both succeed.
A renewal that was never paid (CANCELLED) frees the way for another.

No overlap and no duplicate for the same plate: the new application claims its plates from
the day after the old permit ends, which the plate claim allows (the old claim ends before
the new one starts) and which refuses any other permit for those plates in that period.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.domain.dates import berlin_today
from chalicelib.domain.errors import ConflictError, NotFoundError
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.pointers import resolve_pointer
from chalicelib.services.store_errors import StaleApplicationError

if TYPE_CHECKING:
    from chalicelib.domain.forms import FormDefinition
    from chalicelib.domain.records import Application
    from chalicelib.services.form_registry import FormRegistry
    from chalicelib.services.ports import ApplicationStore, Clock
    from chalicelib.services.submissions import SubmissionResult, SubmissionService

__all__ = ["RenewalOffer", "RenewalRefusedError", "RenewalService"]


class RenewalRefusedError(ConflictError):
    """409: ``outside_window`` (too early, ended, not issued) or ``renewal_exists``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class RenewalOffer:
    """What the status page says about renewing: when, and whether one exists."""

    opens: date
    ends: date  # the old permit's last day: the window closes with it
    open_now: bool
    renewal_id: str | None  # a renewal that counts (not cancelled)

    @property
    def starts(self) -> date:
        return self.ends + timedelta(days=1)


class RenewalService:
    def __init__(
        self,
        store: ApplicationStore,
        registry: FormRegistry,
        clock: Clock,
        submissions: SubmissionService,
    ) -> None:
        self._store = store
        self._registry = registry
        self._clock = clock
        self._submissions = submissions

    def offer(self, app: Application) -> RenewalOffer | None:
        """None when this application cannot be renewed at all (not an issued permit, or a
        form without renewal)."""
        form = self._registry.get(app.form_id)
        permit = app.permit
        if form is None or permit is None or app.status is not Status.ISSUED:
            return None
        window = form.lifecycle.renewal_window_days
        if window <= 0:
            return None
        today = berlin_today(self._clock.now())
        opens = permit.valid_to - timedelta(days=window)
        return RenewalOffer(
            opens=opens,
            ends=permit.valid_to,
            open_now=opens <= today <= permit.valid_to,
            renewal_id=self._live_renewal(app),
        )

    def _live_renewal(self, app: Application) -> str | None:
        if app.renewal_id is None:
            return None
        renewal = self._store.get_application(app.renewal_id)
        if renewal is None or renewal.status is Status.CANCELLED:
            return None
        return renewal.id

    def check(self, app: Application) -> FormDefinition:
        """The form to renew with, or RenewalRefusedError saying why not."""
        offer = self.offer(app)
        if offer is None or not offer.open_now:
            when = f" (from {offer.opens.isoformat()} to {offer.ends.isoformat()})" if offer else ""
            raise RenewalRefusedError("outside_window", f"this permit cannot be renewed now{when}")
        if offer.renewal_id is not None:
            raise RenewalRefusedError("renewal_exists", "a renewal of this permit exists")
        form = self._registry.get(app.form_id)
        if form is None:  # offer() saw it a moment ago
            raise NotFoundError("unknown form")
        return form

    def prefill(self, app: Application, form: FormDefinition) -> dict[str, Any]:
        """The last application's answers without those asked again, starting the day after
        the old permit ends."""
        document = copy.deepcopy(app.data)
        for pointer in form.lifecycle.ask_again:
            _remove(document, pointer)
        permit = app.permit
        if permit is not None:
            _place(document, form.permit.start_date, (permit.valid_to + timedelta(1)).isoformat())
        return document

    def renew(
        self,
        app: Application,
        answers: dict[str, Any],
        lang: str = "de",
        idempotency_key: str | None = None,
    ) -> SubmissionResult:
        """Submit the renewal: the pre-filled answers, replaced by ``answers`` where given
        (top-level keys: the API sends whole sections), the start date always the day after
        the end. Validation errors name the fields as for any submission."""
        form = self.check(app)
        document = self.prefill(app, form)
        document.update(copy.deepcopy(answers))
        permit = app.permit
        assert permit is not None  # check() saw an issued permit
        _place(document, form.permit.start_date, (permit.valid_to + timedelta(1)).isoformat())
        try:
            return self._submissions.submit(
                form.id, document, idempotency_key, lang, renewal_of=app
            )
        except StaleApplicationError as stale:
            # the old application changed meanwhile: another renewal, or its expiry
            current = self._store.get_application(app.id)
            if current is not None:
                self.check(current)  # raises the reason
            raise RenewalRefusedError("renewal_exists", "the permit changed; reload") from stale


def _remove(document: dict[str, Any], pointer: str) -> None:
    parent_path, _, key = pointer.rpartition("/")
    parent = resolve_pointer(document, parent_path) if parent_path else document
    if isinstance(parent, dict):
        parent.pop(key, None)


def _place(document: dict[str, Any], pointer: str, value: str) -> None:
    node: Any = document
    tokens = pointer[1:].split("/")
    for token in tokens[:-1]:
        node = node.setdefault(token, {})
        if not isinstance(node, dict):
            return
    node[tokens[-1]] = value
