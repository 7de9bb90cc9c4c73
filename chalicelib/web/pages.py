"""Static HTML pages: the citizen's status page (the officer app lives in ``officer.py``).

It is a single self-contained file under ``static/`` with inline CSS and one inline script,
no framework and no external asset, so it loads fast on a phone with a weak signal. It is
read once per process and served as they are: whatever varies (the token, the
application id) is read by the script from the URL, never put into the HTML by the server.

The Content-Security-Policy allows exactly the inline ``<style>`` and ``<script>`` blocks of
the file, by their SHA-256 hashes (computed here from the files themselves, so editing
a page can never leave a stale hash behind), and ``fetch`` to the service's own origin.
Everything else is refused: no other script, style, image, frame, form or plugin.

- ``Referrer-Policy: no-referrer``: the status page's PDF link carries the access token in
  its query string; nothing may leak to another site.
- ``Cache-Control: public, max-age=300``: the pages are the same for every permit and every
  application (the token sits in the URL fragment, which never reaches a server or a cache).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from pathlib import Path

__all__ = [
    "PAGE_HEADERS",
    "STATIC_DIR",
    "content_security_policy",
    "inline_hashes",
    "status_page_html",
]

STATIC_DIR = Path(__file__).resolve().parent / "static"
_PAGES = ("status.html",)
_BLOCK_RE = {
    "script": re.compile(r"<script>(.*?)</script>", re.DOTALL),
    "style": re.compile(r"<style>(.*?)</style>", re.DOTALL),
}


@functools.cache
def _page(name: str) -> str:
    """The page's text, read once per process."""
    return (STATIC_DIR / name).read_text(encoding="utf-8")


def status_page_html() -> str:
    return _page("status.html")


def inline_hashes(kind: str, pages: tuple[str, ...] = _PAGES) -> list[str]:
    """CSP source expressions (``'sha256-…'``) for every inline ``kind`` block of ``pages``.

    Browsers hash the element's text exactly as written, encoded as UTF-8.
    """
    found: list[str] = []
    for name in pages:
        for block in _BLOCK_RE[kind].findall(_page(name)):
            digest = base64.b64encode(hashlib.sha256(block.encode("utf-8")).digest()).decode()
            source = f"'sha256-{digest}'"
            if source not in found:
                found.append(source)
    return found


def content_security_policy() -> str:
    scripts = " ".join(inline_hashes("script"))
    styles = " ".join(inline_hashes("style"))
    return (
        "default-src 'none'; "
        f"script-src {scripts}; "
        f"style-src {styles}; "
        "connect-src 'self'; "
        "img-src 'none'; "
        "base-uri 'none'; "
        "form-action 'none'; "
        "frame-ancestors 'none'"
    )


PAGE_HEADERS: dict[str, str] = {
    "Content-Security-Policy": content_security_policy(),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "public, max-age=300",
    "X-Content-Type-Options": "nosniff",
}
"""Response headers for both pages (one shared dict per process: copy it, never change it)."""
