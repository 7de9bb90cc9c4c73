"""A dependency that is down: one base class, so every route answers it the same way.

Adapters translate their library's connection, timeout and throttling errors into a
subclass of :class:`DependencyUnavailableError` at their boundary; the HTTP layer answers
any of them with 503 and ``Retry-After``, never with 500. A dependency that *refuses* a
request (access denied, a missing table or key) is not unavailable: that is a bug or a
misconfiguration, answered 500 and alarmed on, because no retry can fix it.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = ["DependencyUnavailableError", "SignerUnavailableError"]


class DependencyUnavailableError(Exception):
    """A dependency did not answer in time, or is throttling or failing: retry the request later.

    The message names the failure mode (an exception class or error code), never data.
    """

    #: What the 503 answer's ``Retry-After`` says: the request already spent its own retry
    #: budget (see ``chalicelib.adapters.aws``), so the caller should wait a little first.
    retry_after_seconds: ClassVar[int] = 5


class SignerUnavailableError(DependencyUnavailableError):
    """The signing key service (KMS) is unreachable, timing out or throttling."""
