"""A browser-like session over ``chalice.test.Client``: cookies kept, forms posted, CSRF read.

For integration tests of the pages without a browser: the same requests a browser sends,
in-process, against the app wired to the test's DynamoDB table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode, urlsplit

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class PageResponse:
    status: int
    headers: dict[str, Any]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @property
    def location(self) -> str:
        return str(self.headers.get("Location", ""))

    def set_cookies(self) -> list[str]:
        value = self.headers.get("Set-Cookie", [])
        return value if isinstance(value, list) else [value]


@dataclass
class WebSession:
    client: Any
    cookies: dict[str, str] = field(default_factory=dict)
    accept_language: str = "de-DE,de;q=0.9"

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept-Language": self.accept_language, "Accept": "text/html,*/*;q=0.8"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers.update(extra or {})
        return headers

    def _keep(self, response: Any) -> PageResponse:
        page = PageResponse(response.status_code, dict(response.headers), response.body)
        for header in page.set_cookies():
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for key, morsel in jar.items():
                self.cookies[key] = morsel.value
        return page

    def get(self, path: str, headers: dict[str, str] | None = None) -> PageResponse:
        return self._keep(self.client.http.get(_path(path), headers=self._headers(headers)))

    def post(
        self, path: str, fields: dict[str, str] | list[tuple[str, str]], csrf: str | None = ""
    ) -> PageResponse:
        pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
        if csrf is not None:
            pairs.append(("csrf_token", csrf))
        body = urlencode(pairs).encode()
        headers = self._headers({"Content-Type": "application/x-www-form-urlencoded"})
        return self._keep(self.client.http.post(_path(path), headers=headers, body=body))

    def csrf_from(self, page: PageResponse) -> str:
        match = _CSRF.search(page.text)
        assert match, "the page has no CSRF token"
        return match.group(1)

    def submit_page(
        self, path: str, fields: dict[str, str] | list[tuple[str, str]]
    ) -> PageResponse:
        """GET the page (for its CSRF token), then POST the fields to it."""
        shown = self.get(path)
        assert shown.status == 200, shown.text[:500]
        return self.post(path, fields, self.csrf_from(shown))


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
