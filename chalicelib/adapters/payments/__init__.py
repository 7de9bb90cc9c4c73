"""Payment providers: the port's adapters and the Standard Webhooks scheme they speak.

Re-exported here are the light, standard-library-only pieces that wiring code needs. Two
modules are left out on purpose and must be imported by name where they are used:
``events`` (pulls in pydantic; only the webhook path needs it) and ``delivery`` (pulls in
``http.client``; only the sandbox Pay route needs it). See docs/payments.md.
"""

from __future__ import annotations

from chalicelib.adapters.payments.sandbox import (
    SandboxProvider,
    SandboxSession,
    SandboxSessionError,
    SandboxSessionExpiredError,
)
from chalicelib.adapters.payments.standard_webhooks import (
    WebhookSecretError,
    WebhookVerifier,
    sign,
    signed_headers,
)

__all__ = [
    "SandboxProvider",
    "SandboxSession",
    "SandboxSessionError",
    "SandboxSessionExpiredError",
    "WebhookSecretError",
    "WebhookVerifier",
    "sign",
    "signed_headers",
]
