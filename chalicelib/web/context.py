"""What every route needs from the process: the current request and the Container.

Both are process-wide singletons: Chalice keeps one ``current_request`` per app (Lambda
serves one request at a time per process), and the Container is built from the environment
on first use. Its Settings come from :class:`~chalicelib.config.LiveSettings`: when a secret
was rotated (SSM, re-read after a TTL), the next request gets a Container built from the new
Settings; while nothing changed, the same Container serves every request. Route modules are Chalice blueprints; they reach both through this module, so
no route imports ``app.py`` and the app is bound exactly once (``bind_app``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.config import LiveSettings
from chalicelib.web.problems import problem_responses

if TYPE_CHECKING:
    from chalice.app import Chalice, Request

    from chalicelib.wiring import Container

__all__ = [
    "accept_language",
    "bind_app",
    "container",
    "current_request",
    "guarded",
    "header",
    "raw_body",
    "set_container",
    "use_settings",
]

_app: Chalice | None = None
_container: Container | None = None
_pinned = False  # a Container set by a test or the local run: used as it is
_settings: LiveSettings | None = None


def bind_app(app: Chalice) -> None:
    global _app
    _app = app


def container() -> Container:
    """The process-wide Container, built from the current Settings (see the module doc)."""
    global _container, _settings
    if _pinned and _container is not None:
        return _container
    if _settings is None:
        _settings = LiveSettings.from_env()
    settings = _settings.current()
    if _container is None or _container.settings is not settings:
        from chalicelib.wiring import Container

        _container = Container(settings)
    return _container


def set_container(new: Container | None) -> None:
    """Tests and the local run wire their own Container; None rebuilds from the environment."""
    global _container, _pinned
    _container = new
    _pinned = new is not None


def use_settings(settings: LiveSettings | None) -> None:
    """Where the Settings come from (tests inject a source); None reads the environment again."""
    global _container, _settings
    _settings = settings
    if not _pinned:
        _container = None


def current_request() -> Request:
    request = _app.current_request if _app is not None else None
    assert request is not None, "only called inside a route of the bound app"
    return request


def accept_language() -> str | None:
    request = _app.current_request if _app is not None else None
    return request.headers.get("accept-language") if request is not None else None


def header(name: str) -> str | None:
    value: str | None = current_request().headers.get(name)
    return value


def raw_body() -> bytes:
    raw = current_request().raw_body
    return raw.encode("utf-8") if isinstance(raw, str) else (raw or b"")


guarded = problem_responses(accept_language)
"""Every route's decorator: domain errors become problem+json, nothing leaks a traceback."""
