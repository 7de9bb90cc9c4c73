"""What every citizen page route needs from its request: language, cookies, CSRF, rendering.

A route builds one :class:`PageKit` and answers through it, so every page gets the same
headers (CSP, no-store, nosniff), the language switch, the CSRF cookie and token, and the
cookies the route set. :func:`page_errors` is the pages' ``guarded``: a domain error
becomes an accessible HTML error page (404, 409, 503), never a stack trace.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qs, quote, urlencode

from chalice.app import Response

from chalicelib.domain import errors
from chalicelib.services.dependency_errors import DependencyUnavailableError
from chalicelib.web import security
from chalicelib.web.context import container, current_request
from chalicelib.web.i18n import choose_language, translate
from chalicelib.web.rendering import page_headers, render

if TYPE_CHECKING:
    from chalicelib.wiring import Container

__all__ = ["FORM_POST", "CsrfError", "PageKit", "page_errors", "request_path", "site_config"]

log = logging.getLogger("permit_service.pages")
FORM_POST = ["application/x-www-form-urlencoded"]
MAX_FORM_BYTES = 64 * 1024
LANG_COOKIE_AGE = 365 * 24 * 3600
F = TypeVar("F", bound=Callable[..., Any])


class CsrfError(errors.DomainError):
    """A POST without a valid CSRF token (or marked cross-site by the browser)."""


@functools.cache
def _site_config(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        config: dict[str, Any] = json.load(handle)
    return config


def site_config(c: Container) -> dict[str, Any]:
    """The city's texts and contacts (``config/site.json``), read once per process."""
    return _site_config(str(c.settings.site_config_path))


class PageKit:
    def __init__(self) -> None:
        self.c = container()
        request = current_request()
        self.request = request
        self.secure = self.c.settings.secure_cookies
        self.cookies = security.parse_cookies(request.headers.get("cookie"), self.secure)
        self.query: dict[str, str] = dict(request.query_params or {})
        self.lang, set_lang = choose_language(
            self.query, self.cookies.get("lang"), request.headers.get("accept-language")
        )
        self.set_cookies: list[str] = []
        if set_lang:
            self.set_cookies.append(
                security.set_cookie("lang", self.lang, secure=self.secure, max_age=LANG_COOKIE_AGE)
            )
        self._csrf_secret = self.cookies.get(security.CSRF_COOKIE)
        self._form: dict[str, list[str]] | None = None
        self.site = site_config(self.c)

    # -- text ----------------------------------------------------------------------------

    def t(self, key: str, **params: object) -> str:
        return translate(key, self.lang, **params)

    def text(self, value: dict[str, str] | None) -> str:
        if not value:
            return ""
        return value.get(self.lang) or value.get("de", "")

    # -- CSRF ----------------------------------------------------------------------------

    def csrf_token(self) -> str:
        if self._csrf_secret is None:
            self._csrf_secret = security.new_csrf_secret()
            self.set_cookies.append(
                security.set_cookie(security.CSRF_COOKIE, self._csrf_secret, secure=self.secure)
            )
        return security.csrf_token(self.c.subkey("csrf"), self._csrf_secret)

    def form(self) -> dict[str, list[str]]:
        """The posted form fields, after the CSRF check (raises CsrfError)."""
        if self._form is None:
            raw = self.request.raw_body or b""
            if isinstance(raw, str):
                raw = raw.encode("utf-8")
            if len(raw) > MAX_FORM_BYTES:
                raise CsrfError("form too large")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise CsrfError("form is not UTF-8") from error
            fields = parse_qs(text, keep_blank_values=True, max_num_fields=500)
            if self.request.headers.get("sec-fetch-site") == "cross-site":
                raise CsrfError("cross-site form post")
            token = (fields.get("csrf_token") or [""])[-1]
            if not security.csrf_matches(self.c.subkey("csrf"), self._csrf_secret, token):
                raise CsrfError("CSRF token missing or wrong")
            self._form = fields
        return self._form

    # -- staff ---------------------------------------------------------------------------

    def staff_nav(self) -> dict[str, str] | None:
        """The staff navigation's data (role, sign-out CSRF token) once require_staff passed.

        Every page template under ``staff/`` gets it on its own (``staff/base.html`` shows
        it), so no staff route has to pass it.
        """
        from chalicelib.web.staff_access import current_principal

        principal = current_principal()
        if principal is None:
            return None
        return {
            "role": principal.role.value,
            "role_label": self.t(f"staff_role_{principal.role.value}"),
            "csrf_token": self.csrf_token(),
        }

    # -- answers -------------------------------------------------------------------------

    def switch_url(self) -> str:
        """This page in the other language: a query-only link, so it works under any prefix."""
        other = "de" if self.lang == "en" else "en"
        query = {k: v for k, v in self.query.items() if k != "lang"}
        query["lang"] = other
        return f"?{urlencode(query)}"

    def render(
        self,
        template: str,
        status: int = 200,
        form_origins: tuple[str, ...] = (),
        **context: Any,
    ) -> Response:
        context.setdefault("errors", None)
        if template.startswith("staff/") and "staff_nav" not in context:
            nav = self.staff_nav()
            if nav is not None:
                context["staff_nav"] = nav
        context.setdefault("noindex", True)
        context.setdefault("scripts", True)
        context.setdefault("preload_fonts", ())
        body = render(
            template,
            {
                "lang": self.lang,
                "t": self.t,
                "site": self.site,
                "switch_url": self.switch_url(),
                **context,
            },
        )
        headers: dict[str, Any] = page_headers(form_origins)
        headers["Content-Language"] = self.lang
        if self.set_cookies:
            headers["Set-Cookie"] = list(self.set_cookies)
        return Response(body=body, status_code=status, headers=headers)

    def redirect(self, location: str) -> Response:
        headers: dict[str, Any] = {"Location": location, "Cache-Control": "no-store"}
        if self.set_cookies:
            headers["Set-Cookie"] = list(self.set_cookies)
        return Response(body="", status_code=303, headers=headers)

    def message(self, status: int, title_key: str, text_key: str, link: Any = None) -> Response:
        return self.render(
            "pages/message.html",
            status,
            title=self.t(title_key),
            paragraphs=[self.t(text_key)],
            link=link,
        )


def page_errors[F: Callable[..., Any]](view: F) -> F:
    """Domain errors become HTML error pages in the visitor's language."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except CsrfError as error:
            log.info("form refused: %s", error)
            return _fallback(400, "csrf_title", "csrf_text")
        except errors.NotFoundError:
            return _fallback(404, "not_found_title", "not_found_text")
        except errors.StaffAuthError:
            signin = _signin_redirect()  # a staff page opened without a session: sign in first
            if signin is not None:
                return signin
            return _fallback(401, "staff_signin_title", "staff_signin_text")
        except errors.StaffForbiddenError:
            return _fallback(403, "staff_forbidden_title", "staff_forbidden_text")
        except DependencyUnavailableError as error:  # DynamoDB, KMS, SSM down: come back soon
            log.warning("page unavailable: %s", type(error).__name__, exc_info=error)
            response = _fallback(503, "error_title", "error_text")
            response.headers["Retry-After"] = str(error.retry_after_seconds)
            return response
        except errors.ServiceUnavailableError as error:  # not configured in this stage
            log.warning("page unavailable: %s", type(error).__name__)
            return _fallback(503, "error_title", "error_text")
        except errors.ConflictError:
            return _fallback(409, "error_title", "error_text")
        except Exception as error:  # the last line of defence: no stack trace to citizens
            log.error("unhandled %s in %s", type(error).__name__, view.__name__, exc_info=True)
            return _fallback(500, "error_title", "error_text")

    wrapper.__guarded__ = True  # type: ignore[attr-defined]  # the pages' own `guarded`
    return wrapper  # type: ignore[return-value]


def request_path() -> str:
    """This request's path and query as the app sees it (no API Gateway stage prefix)."""
    request = current_request()
    context = request.context or {}
    path = str(context.get("resourcePath") or "/")
    for name, value in (request.uri_params or {}).items():
        path = path.replace("{" + name + "}", quote(str(value), safe=""))
    if request.query_params:
        path += "?" + urlencode(dict(request.query_params))
    return path


def _signin_redirect() -> Response | None:
    """303 to the staff sign-in for a GET of a staff page, remembering where to come back."""
    request = current_request()
    if request.headers.get("authorization"):
        return None  # a refused Bearer credential (a script, an expired token): 401, no detour
    path = request_path()
    if request.headers.get("authorization") is not None:
        return None  # a script's refused Bearer token: 401, not an interactive sign-in
    if request.method.upper() not in ("GET", "HEAD") or not (
        path == "/staff" or path.startswith(("/staff/", "/staff?"))
    ):
        return None
    return Response(
        body="",
        status_code=303,
        headers={
            "Location": "/staff/signin?" + urlencode({"next": path}),
            "Cache-Control": "no-store",
        },
    )


def _fallback(status: int, title_key: str, text_key: str) -> Response:
    try:
        kit = PageKit()
        link = {"href": "/", "text": kit.t("footer_services")}
        return kit.message(status, title_key, text_key, link)
    except Exception:  # the page kit itself failed (configuration): a plain page
        log.error("error page failed", exc_info=True)
        return Response(
            body="<!DOCTYPE html><html lang=de><title>Fehler / Error</title><h1>Fehler / Error</h1>",
            status_code=status,
            headers=dict(page_headers()),
        )
