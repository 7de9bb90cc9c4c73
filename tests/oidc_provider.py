"""Pressing the local OIDC provider's sign-in button without a browser (shared by tests)."""

from __future__ import annotations

import http.client
from urllib.parse import urlencode, urlsplit


def authorize_at_provider(authorize_url: str, sub: str) -> str:
    """Press the predefined user's button on the provider's page: the redirect back to us."""
    parts = urlsplit(authorize_url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.request(
            "POST",
            f"{parts.path}?{parts.query}",
            body=urlencode({"sub": sub}),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        response = connection.getresponse()
        response.read()
        assert response.status == 302, response.status
        return response.getheader("Location") or ""
    finally:
        connection.close()
