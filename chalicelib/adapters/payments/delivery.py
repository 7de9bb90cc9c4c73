"""Deliver one signed webhook over HTTP, retrying like a (very impatient) real provider.

The sandbox's Pay action uses this to POST to our own webhook endpoint, so the sandbox
exercises exactly the receiving path a real provider does: signature check, parsing, dedupe.
Real providers retry for days; the sandbox retries for about a second and a half, because
a citizen is waiting on the Pay button (and API Gateway cuts a request off at 29 s).

Retry rules, and why:

- 2xx: delivered. The receiver also answers 2xx for an event it has already seen, so a
  retry after a lost response is harmless.
- 5xx, 429 and connection-level failures (refused, reset, timeout): transient, retried with
  exponential backoff (``backoff * 2**n``).
- Any other status (400/401 for a bad body or signature, 404, a 3xx): retrying the same
  bytes cannot help, so give up at once and report it.
- The same headers and body are sent on every attempt: the ``webhook-id`` must stay the same
  for the receiver to dedupe, and the signature timestamp stays within tolerance because
  the whole sequence takes seconds.

Logs carry the attempt number, the status and the webhook id; never the body or the
signature header.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

__all__ = ["DeliveryResult", "Transport", "WebhookDelivery", "urllib_transport"]

logger = logging.getLogger(__name__)

#: ``(url, headers, body, timeout_seconds) -> HTTP status``; raise :class:`OSError` (or
#: :class:`http.client.HTTPException`) when no status was received at all.
Transport = Callable[[str, dict[str, str], bytes, float], int]

_USER_AGENT: Final = "permit-service-sandbox-webhooks/1"
_MAX_RESPONSE_BYTES: Final = 64 * 1024


@dataclass(frozen=True)
class DeliveryResult:
    """How one delivery ended.

    ``last_status`` is ``None`` when the last attempt got no HTTP response (connection
    error or timeout).
    """

    delivered: bool
    attempts: int
    last_status: int | None


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def urllib_transport(url: str, headers: dict[str, str], body: bytes, timeout: float) -> int:
    """POST with the standard library: no ``requests`` in the Lambda zip.

    Redirects are not followed (urllib would turn a 302 POST into a body-less GET, and a
    webhook sender should not follow redirects anyway): a 3xx is returned as its status.
    Loopback targets bypass any ``http_proxy`` environment setting, so a developer's proxy
    does not swallow the local run's self-delivery.
    """
    import urllib.error
    import urllib.request

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError("webhook URL must be http(s)")

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
    if _is_loopback(parts.hostname):
        handlers.append(urllib.request.ProxyHandler({}))
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with opener.open(request, timeout=timeout) as response:
            response.read(_MAX_RESPONSE_BYTES)
            return int(response.status)
    except urllib.error.HTTPError as error:
        # 3xx/4xx/5xx arrive as exceptions; they are statuses for us.
        with error:
            return int(error.code)
    except urllib.error.URLError as error:
        # URLError wraps the socket error; re-raise as OSError so the retry logic sees it.
        reason = error.reason
        if isinstance(reason, OSError):
            raise reason from None
        raise ConnectionError(str(reason)) from None


class WebhookDelivery:
    """POST one signed webhook to ``url`` with bounded retries.

    ``transport`` and ``sleep`` are injectable so tests run without a network or real
    waiting. ``attempts`` counts every try, the first included.
    """

    def __init__(
        self,
        url: str,
        transport: Transport | None = None,
        attempts: int = 4,
        backoff_seconds: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
        timeout_seconds: float = 5.0,
    ) -> None:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise ValueError("webhook URL must be an absolute http(s) URL")
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            raise ValueError("attempts must be a positive integer")
        if backoff_seconds < 0:
            raise ValueError("backoff_seconds must not be negative")
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        self._url = url
        self._transport: Transport = transport if transport is not None else urllib_transport
        self._attempts = attempts
        self._backoff = backoff_seconds
        self._sleep = sleep
        self._timeout = timeout_seconds

    def deliver(self, headers: Mapping[str, str], body: bytes) -> DeliveryResult:
        """Send ``headers`` and ``body`` unchanged until a final answer or attempts run out."""
        sent_headers = dict(headers)
        if not any(name.lower() == "user-agent" for name in sent_headers):
            sent_headers["User-Agent"] = _USER_AGENT
        webhook_id = next(
            (value for name, value in sent_headers.items() if name.lower() == "webhook-id"), "-"
        )
        payload = bytes(body)
        status: int | None = None
        for attempt in range(1, self._attempts + 1):
            if attempt > 1:
                self._sleep(self._backoff * 2 ** (attempt - 2))
            try:
                status = self._transport(self._url, dict(sent_headers), payload, self._timeout)
            except (OSError, http.client.HTTPException) as error:
                status = None
                logger.warning(
                    "webhook %s attempt %d/%d: no response (%s)",
                    webhook_id,
                    attempt,
                    self._attempts,
                    type(error).__name__,
                )
                continue
            if 200 <= status < 300:
                logger.info("webhook %s delivered on attempt %d", webhook_id, attempt)
                return DeliveryResult(delivered=True, attempts=attempt, last_status=status)
            if status < 500 and status != 429:
                logger.warning(
                    "webhook %s refused with status %d; not retrying", webhook_id, status
                )
                return DeliveryResult(delivered=False, attempts=attempt, last_status=status)
            logger.warning(
                "webhook %s attempt %d/%d: status %d",
                webhook_id,
                attempt,
                self._attempts,
                status,
            )
        return DeliveryResult(delivered=False, attempts=self._attempts, last_status=status)
