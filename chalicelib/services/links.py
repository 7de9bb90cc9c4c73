"""The links the service gives citizens, and how each is checked. The threat model:

- **The private link** (``/link/<id>/<access token>``) is the citizen's long-lived key to
  one application: bookmarkable, usable on any device, in the confirmation mail. It is
  exchanged at once for a short session cookie and a redirect to ``/status/<id>``, so it
  appears in one request line only and never in a Referer (``no-referrer`` everywhere).
- **PDF downloads** use a link signed by the service for one application that expires:
  10 minutes from the status page, 7 days from the "permit issued" mail. It grants the PDF
  only (no status, no checkout) and is worth nothing after it expires; the API's Bearer
  token never travels in a URL.
- **The renewal link** of a reminder mail is signed for one application and expires 30
  days after the permit's end; like the private link it opens the application's page on
  this browser (a session), where "Verlängern" is offered. The mail cannot carry the
  private link itself: its token is derived from a seed that is kept only until the first
  mail is sent.
- **The resume link** of a saved draft carries the draft id and a nonce, signed; saving
  again replaces the nonce (older links die), submitting the draft ends it, and it expires
  with the draft (30 days).

Access tokens are never stored: the service derives them (HMAC under its secret) from a
seed, exactly as for idempotent submissions, so a mail can be written long after the
submission without the token ever sitting in the table.
"""

from __future__ import annotations

from chalicelib.domain.access import derived_access_token, purpose_key, sign, unsign

__all__ = ["PDF_LINK_FROM_MAIL", "PDF_LINK_FROM_PAGE", "CitizenLinks"]

PDF_LINK_FROM_PAGE = 10 * 60
PDF_LINK_FROM_MAIL = 7 * 24 * 3600


class CitizenLinks:
    def __init__(self, public_base_url: str, app_secret: bytes) -> None:
        self._base = public_base_url.rstrip("/")
        self._secret = app_secret
        self._pdf_key = purpose_key(app_secret, "pdf-link")
        self._resume_key = purpose_key(app_secret, "resume-link")
        self._renewal_key = purpose_key(app_secret, "renewal-link")

    @property
    def base_url(self) -> str:
        return self._base

    def access_token(self, form_id: str, seed: str, application_id: str) -> str:
        return derived_access_token(self._secret, form_id, seed, application_id)

    def private_link(self, application_id: str, token: str) -> str:
        return f"{self._base}/link/{application_id}/{token}"

    def status_url(self, application_id: str) -> str:
        return f"{self._base}/status/{application_id}"

    # -- PDF -----------------------------------------------------------------------------

    def pdf_path(self, application_id: str, expires_at: int) -> str:
        signature = sign(self._pdf_key, f"{application_id}|{expires_at}").rpartition(".")[2]
        return f"/status/{application_id}/permit.pdf?expires={expires_at}&sig={signature}"

    def pdf_link(self, application_id: str, expires_at: int) -> str:
        return self._base + self.pdf_path(application_id, expires_at)

    def pdf_link_valid(
        self, application_id: str, expires: str | None, sig: str | None, now_epoch: int
    ) -> bool:
        """Signature first (constant time), then the expiry."""
        if not expires or not sig or not expires.isdigit():
            return False
        if unsign(self._pdf_key, f"{application_id}|{expires}.{sig}") is None:
            return False
        return int(expires) > now_epoch

    # -- renewal (the reminder mail) -------------------------------------------------------

    def renewal_link(self, application_id: str, expires_at: int) -> str:
        """Opens the application's page on any browser until ``expires_at``: the reminder
        mail's link (the private link's token is never stored, so the mail cannot carry it)."""
        signature = sign(self._renewal_key, f"{application_id}|{expires_at}").rpartition(".")[2]
        return f"{self._base}/renew/{application_id}?expires={expires_at}&sig={signature}"

    def renewal_link_valid(
        self, application_id: str, expires: str | None, sig: str | None, now_epoch: int
    ) -> bool:
        """Signature first (constant time), then the expiry."""
        if not expires or not sig or not expires.isdigit():
            return False
        if unsign(self._renewal_key, f"{application_id}|{expires}.{sig}") is None:
            return False
        return int(expires) > now_epoch

    # -- resume --------------------------------------------------------------------------

    def resume_link(self, form_id: str, draft_id: str, nonce: str) -> str:
        return (
            f"{self._base}/forms/{form_id}/resume/{sign(self._resume_key, f'{draft_id}-{nonce}')}"
        )

    def resume_target(self, value: str) -> tuple[str, str] | None:
        """(draft id, nonce) of a genuine resume link; None for anything else."""
        payload = unsign(self._resume_key, value)
        if payload is None or payload.count("-") != 1:
            return None
        draft_id, nonce = payload.split("-")
        return draft_id, nonce
