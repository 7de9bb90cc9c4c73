"""What every route needs from the process: the current request and the Container.

Both are process-wide singletons: Chalice keeps one ``current_request`` per app (Lambda
serves one request at a time per process), and the Container is built from the environment
on first use. Route modules are Chalice blueprints; they reach both through this module, so
no route imports ``app.py`` and the app is bound exactly once (``bind_app``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.config import Settings
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
]

_app: Chalice | None = None
_container: Container | None = None


def bind_app(app: Chalice) -> None:
    global _app
    _app = app


def container() -> Container:
    """The process-wide Container, built from the environment on first use."""
    global _container
    if _container is None:
        from chalicelib.wiring import Container

        _container = Container(Settings.from_env())
    return _container


def set_container(new: Container | None) -> None:
    """Tests and the local run wire their own Container; None rebuilds from the environment."""
    global _container
    _container = new


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
