"""Use case: a citizen's unfinished answers, saved on the server and resumable anywhere.

A draft is one DynamoDB item with a TTL of 30 days (expired drafts are filtered on read,
since DynamoDB deletes them only later). The browser holds only a signed draft id in a
session cookie; "save and come back later" mails a signed resume link, written in the same
transaction as the draft, so the mail is sent exactly when the save happened.

Page answers are checked with the same validator and rules as the API
(``validate_document``), on the whole draft, keeping only the errors of the page asked.
"""

from __future__ import annotations

import copy
import secrets
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.domain.dates import berlin_today, format_de
from chalicelib.domain.errors import FieldError
from chalicelib.domain.records import Draft
from chalicelib.services.notifications import resume_mail
from chalicelib.services.ports import Clock, DraftStore
from chalicelib.services.validation import validate_document

if TYPE_CHECKING:
    from chalicelib.domain.forms import FormDefinition
    from chalicelib.services.form_registry import FormRegistry

__all__ = ["DRAFT_TTL", "DraftService"]

DRAFT_TTL = timedelta(days=30)


class DraftService:
    def __init__(self, store: DraftStore, registry: FormRegistry, clock: Clock) -> None:
        self._store = store
        self._registry = registry
        self._clock = clock

    def get(self, draft_id: str | None, form_id: str) -> Draft | None:
        if not draft_id:
            return None
        draft = self._store.get_draft(draft_id, int(self._clock.now().timestamp()))
        if draft is None or draft.form_id != form_id:
            return None
        return draft

    def errors(self, form: FormDefinition, document: dict[str, Any]) -> list[FieldError]:
        """Every error of the document, exactly as a submission would see it today."""
        today = berlin_today(self._clock.now())
        return validate_document(form, self._registry.validator(form), document, today)

    def save(self, form_id: str, draft: Draft | None, document: dict[str, Any]) -> Draft:
        """Create or update the draft; each save renews its 30 days."""
        now = self._clock.now()
        expires = int((now + DRAFT_TTL).timestamp())
        if draft is None:
            new = Draft(
                id=secrets.token_hex(16),
                form_id=form_id,
                data=copy.deepcopy(document),
                version=1,
                created_at=now,
                updated_at=now,
                expires_at=expires,
            )
            self._store.put_draft(new, None)
            return new
        updated = replace(
            draft, data=copy.deepcopy(document), version=draft.version + 1, updated_at=now,
            expires_at=expires,
        )  # fmt: skip
        self._store.put_draft(updated, draft.version)
        return updated

    def start_renewal(self, form_id: str, document: dict[str, Any], renewal_of: str) -> Draft:
        """A new draft holding a renewal's pre-filled answers (``RenewalService.prefill``)."""
        now = self._clock.now()
        draft = Draft(
            id=secrets.token_hex(16),
            form_id=form_id,
            data=copy.deepcopy(document),
            version=1,
            created_at=now,
            updated_at=now,
            expires_at=int((now + DRAFT_TTL).timestamp()),
            renewal_of=renewal_of,
        )
        self._store.put_draft(draft, None)
        return draft

    def mark_submitted(self, draft: Draft, application_id: str) -> None:
        now = self._clock.now()
        # The answers now live in the application; the draft only forwards to it, so it
        # keeps none of them (nothing personal left behind for the retention to find).
        done = replace(
            draft, application_id=application_id, version=draft.version + 1, updated_at=now,
            resume_nonce=None, data={},
        )  # fmt: skip
        self._store.put_draft(done, draft.version)

    def send_resume_link(self, draft: Draft, email: str, lang: str) -> tuple[Draft, str]:
        """A new resume link (older ones stop working), mailed in the same write."""
        now = self._clock.now()
        nonce = secrets.token_hex(8)
        until = format_de(berlin_today(now + DRAFT_TTL))
        expires = int((now + DRAFT_TTL).timestamp())
        updated = replace(
            draft, resume_nonce=nonce, version=draft.version + 1, updated_at=now,
            expires_at=expires,
        )  # fmt: skip
        mail = resume_mail(email, lang, draft.form_id, draft.id, nonce, until, now)
        self._store.put_draft(updated, draft.version, [mail])
        return updated, until

    def resume(self, draft_id: str, nonce: str) -> Draft | None:
        """The draft a resume link names, if the link is still its latest and it is open."""
        import hmac

        draft = self._store.get_draft(draft_id, int(self._clock.now().timestamp()))
        if draft is None or draft.application_id is not None or draft.resume_nonce is None:
            return None
        if not hmac.compare_digest(draft.resume_nonce, nonce):
            return None
        return draft
