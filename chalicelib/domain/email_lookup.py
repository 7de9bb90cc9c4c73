"""The key under which staff find applications by the citizen's e-mail address.

An HMAC-SHA256 of the normalised address under a key derived from the service secret
(purpose ``staff-email-search``): the index holds no address a table export or a backup
could leak, and nobody without the secret can test "did x@y apply?" against the index.
Normalised (trimmed, lower case) so that ``Anna@Example.org`` finds ``anna@example.org``.
"""

from __future__ import annotations

import hashlib
import hmac

from chalicelib.domain.access import purpose_key
from chalicelib.domain.staff_search import normalise_email

__all__ = ["EMAIL_LOOKUP_PURPOSE", "email_lookup_hash", "email_lookup_key"]

EMAIL_LOOKUP_PURPOSE = "staff-email-search"


def email_lookup_key(app_secret: bytes) -> bytes:
    return purpose_key(app_secret, EMAIL_LOOKUP_PURPOSE)


def email_lookup_hash(key: bytes, address: str) -> str:
    return hmac.new(key, normalise_email(address).encode("utf-8"), hashlib.sha256).hexdigest()
