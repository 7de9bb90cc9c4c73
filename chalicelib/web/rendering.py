"""Jinja2 for the citizen's pages: one environment per process, the asset manifest, the CSP.

Templates live in ``templates/`` (``base.html``, one macro per component in
``components/``, pages in ``pages/``), autoescaped. Jinja2 is imported on the first page a
process renders, never by ``import app`` (a JSON request should not pay for it).

The Content-Security-Policy allows scripts, styles and fonts from the service's own origin
only (the hashed files under ``/assets/``), no inline script or style at all, images only
as ``data:`` URLs (KERN's icons), and form submissions to the service itself plus the
payment provider's origin (browsers apply ``form-action`` to the redirect that follows a
form POST, and "Pay" ends at the provider).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = [
    "ASSETS_DIR",
    "asset_manifest",
    "content_security_policy",
    "environment",
    "page_headers",
    "render",
]

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
ASSETS_DIR = WEB_DIR / "assets" / "dist"
IMMUTABLE = "public, max-age=31536000, immutable"


class AssetsMissingError(RuntimeError):
    """The built assets are absent: ``make`` builds them (``npm ci`` + scripts/build_assets)."""


@functools.cache
def asset_manifest() -> dict[str, str]:
    path = ASSETS_DIR / "manifest.json"
    try:
        manifest: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise AssetsMissingError(
            f"{path} is missing: run `make assets` (npm ci, then scripts/build_assets.py)"
        ) from error
    return manifest


def asset_url(name: str) -> str:
    return f"/assets/{asset_manifest()[name]}"


@functools.cache
def environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        auto_reload=False,
    )
    env.globals["asset"] = asset_url
    return env


def render(template: str, context: dict[str, Any]) -> str:
    return environment().get_template(template).render(context)


def content_security_policy(form_origins: tuple[str, ...] = ()) -> str:
    form_action = " ".join(("'self'", *form_origins))
    return (
        "default-src 'none'; "
        "script-src 'self'; "
        "style-src 'self'; "
        "font-src 'self'; "
        "img-src 'self' data:; "
        "connect-src 'self'; "
        f"form-action {form_action}; "
        "base-uri 'none'; "
        "frame-ancestors 'none'"
    )


def page_headers(form_origins: tuple[str, ...] = (), cache: str = "no-store") -> dict[str, Any]:
    """Every citizen page's headers: no caching by default (pages carry personal data)."""
    return {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": content_security_policy(form_origins),
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": cache,
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }
