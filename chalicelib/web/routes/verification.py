"""Verification for enforcement: the API, the published keys and the page a camera opens."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.web.context import container, guarded, raw_body
from chalicelib.web.problems import ClientError
from chalicelib.web.requests import parse_json_body
from chalicelib.web.responses import html_response, json_response

__all__ = ["bp"]

bp = Blueprint(__name__)


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
        container().keyring.jwks(), headers={"Cache-Control": "public, max-age=3600"}
    )


@bp.route("/v", methods=["GET"])
@guarded
def verification_page() -> Response:
    from chalicelib.web.pages import PAGE_HEADERS, verification_page_html

    return html_response(verification_page_html(), headers=PAGE_HEADERS)
