"""The officer app's static assets: page, script, service worker, manifest, icon, QR decoder.

All of them are plain files, read once per process and served as they are; nothing about a
permit is ever put into them by the server (the token stays in the URL fragment). The page
and its script together stay under 50 KB (``make bench`` measures it).

- The page has one inline ``<style>`` (allowed by its SHA-256 hash) and loads its script
  from ``officer/app.js``: an external script is what the service worker can cache, and
  ``script-src 'self'`` is what lets the app load the QR decoder only when it is needed.
- The service worker's ``VERSION`` is a hash of the shell files, written in when it is
  served: any change to page, script or decoder changes the worker's bytes, so phones pick
  up a release on their next online visit and drop the old cache.
- The QR decoder is jsQR from npm (``package.json``, installed by ``npm ci`` in the
  Makefile); ``make package`` copies it into the Lambda bundle at the same relative path.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from pathlib import Path

from chalicelib.config import APP_ROOT

__all__ = [
    "ASSETS",
    "JSQR_PATH",
    "OFFICER_DIR",
    "asset",
    "page_headers",
    "page_html",
    "service_worker_js",
]

OFFICER_DIR = Path(__file__).resolve().parent / "static" / "officer"
JSQR_PATH = APP_ROOT / "node_modules" / "jsqr" / "dist" / "jsQR.js"
_STYLE_RE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


@functools.cache
def _read(path: Path) -> bytes:
    return path.read_bytes()


def page_html() -> str:
    return _read(OFFICER_DIR / "verify.html").decode("utf-8")


def _style_hashes() -> str:
    hashes = []
    for block in _STYLE_RE.findall(page_html()):
        digest = base64.b64encode(hashlib.sha256(block.encode("utf-8")).digest()).decode()
        hashes.append(f"'sha256-{digest}'")
    return " ".join(hashes)


# (content type, file) per URL path below the service root.
ASSETS: dict[str, tuple[str, Path]] = {
    "officer/app.js": ("text/javascript; charset=utf-8", OFFICER_DIR / "app.js"),
    "officer/manifest.webmanifest": (
        "application/manifest+json",
        OFFICER_DIR / "manifest.webmanifest",
    ),
    "officer/icon.svg": ("image/svg+xml", OFFICER_DIR / "icon.svg"),
    "officer/jsqr.js": ("text/javascript; charset=utf-8", JSQR_PATH),
}


def asset(name: str) -> tuple[str, bytes]:
    """(content type, bytes); FileNotFoundError when the decoder was never installed."""
    content_type, path = ASSETS[name]
    return content_type, _read(path)


@functools.cache
def _version() -> str:
    digest = hashlib.sha256(page_html().encode("utf-8"))
    for name in sorted(ASSETS):
        path = ASSETS[name][1]
        digest.update(name.encode() + b"\0" + (_read(path) if path.exists() else b"missing"))
    return digest.hexdigest()[:16]


@functools.cache
def service_worker_js() -> str:
    text = _read(OFFICER_DIR / "officer-sw.js").decode("utf-8")
    return text.replace("__OFFICER_VERSION__", _version())


@functools.cache
def page_headers() -> dict[str, str]:
    """Headers of the officer page: CSP with the inline style's hash and no inline script."""
    return {
        "Content-Security-Policy": (
            "default-src 'none'; "
            "script-src 'self'; "
            f"style-src {_style_hashes()}; "
            "connect-src 'self'; "
            "img-src 'self'; "
            "media-src 'self' mediastream: blob:; "
            "manifest-src 'self'; "
            "worker-src 'self'; "
            "base-uri 'none'; "
            "form-action 'none'; "
            "frame-ancestors 'none'"
        ),
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "public, max-age=300",
        "X-Content-Type-Options": "nosniff",
        "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
    }
