"""Verification for enforcement: the API, the published keys, the revocation list and the
officer app (page, script, service worker, manifest, permit type names, QR decoder)."""

from __future__ import annotations

import hashlib

from chalice.app import Blueprint, Response

from chalicelib.web.context import container, guarded, header, raw_body
from chalicelib.web.problems import ClientError
from chalicelib.web.requests import parse_json_body
from chalicelib.web.responses import html_response, json_response

__all__ = ["bp"]

bp = Blueprint(__name__)

# Phones and CDNs may keep the list 30 s (a revocation shows within a minute, regeneration
# included); when the service is down, a CDN may serve the last list for a day: it is signed
# and says how old it is, so a stale copy is safe to hand out.
STATUS_LIST_CACHE = "public, max-age=30, stale-if-error=86400"


@bp.route("/api/verify", methods=["POST"])
@guarded
def verify_permit() -> Response:
    body = parse_json_body(raw_body(), max_bytes=4096)
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str):
        raise ClientError(
            422,
            "validation-failed",
            "token (string) required",
            "token must be a string",
            pointer="/token",
        )
    return json_response(container().verification.verify(token.strip()))


@bp.route("/.well-known/permit-keys.json", methods=["GET"])
@guarded
def permit_keys() -> Response:
    return json_response(
        container().published_keys(), headers={"Cache-Control": "public, max-age=3600"}
    )


@bp.route("/.well-known/permit-status.json", methods=["GET"])
@guarded
def permit_status_list() -> Response:
    stored = container().status_list.current()
    etag = '"' + hashlib.sha256(stored.document.encode("ascii")).hexdigest()[:32] + '"'
    headers: dict[str, str | list[str]] = {
        "Content-Type": "application/json",
        "Cache-Control": STATUS_LIST_CACHE,
        "ETag": etag,
        "Last-Modified": stored.issued_at.strftime("%a, %d %b %Y %H:%M:%S GMT"),
    }
    if etag in (header("If-None-Match") or ""):
        return Response(body="", status_code=304, headers=headers)
    return Response(body=stored.document, status_code=200, headers=headers)


@bp.route("/v", methods=["GET"])
@guarded
def verification_page() -> Response:
    from chalicelib.web.officer import page_headers, page_html

    return html_response(page_html(), headers=page_headers())


@bp.route("/officer-sw.js", methods=["GET"])
@guarded
def officer_service_worker() -> Response:
    from chalicelib.web.officer import service_worker_js

    return Response(
        body=service_worker_js(),
        headers={
            "Content-Type": "text/javascript; charset=utf-8",
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
            # A worker script's CSP governs the worker itself: it must fetch (and cache) the
            # app's own files, so the default "nothing may load" would stop it installing.
            "Content-Security-Policy": (
                "default-src 'none'; connect-src 'self'; frame-ancestors 'none'; "
                "base-uri 'none'; form-action 'none'"
            ),
        },
    )


@bp.route("/officer/{name}", methods=["GET"])
@guarded
def officer_asset(name: str) -> Response:
    from chalicelib.domain.errors import NotFoundError
    from chalicelib.services.catalogue import permit_type_names
    from chalicelib.web.officer import ASSETS, asset

    if name == "permit-types.json":
        forms = container().registry.load_all().values()
        return json_response(
            {"types": permit_type_names(forms)},
            headers={"Cache-Control": "public, max-age=300"},
        )
    key = f"officer/{name}"
    if key not in ASSETS:
        raise NotFoundError("no such officer app file")
    content_type, body = asset(key)
    return Response(
        body=body.decode("utf-8"),
        headers={
            "Content-Type": content_type,
            "Cache-Control": "public, max-age=300",
            "X-Content-Type-Options": "nosniff",
        },
    )
