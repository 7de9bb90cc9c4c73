"""The published forms and the submission of an application (JSON API)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib import logs
from chalicelib.domain.errors import NotFoundError
from chalicelib.web.context import container, current_request, guarded, header, raw_body
from chalicelib.web.problems import ClientError
from chalicelib.web.requests import parse_json_body
from chalicelib.web.responses import json_response

__all__ = ["bp"]

bp = Blueprint(__name__)


def idempotency_key() -> str | None:
    """The Idempotency-Key header, if sent; a blank or unprintable key is refused, never shared."""
    key = header("idempotency-key")
    if key is None:
        return None
    if not (1 <= len(key.strip()) <= 255 and key.isprintable() and key.isascii()):
        raise ClientError(
            400,
            "invalid-idempotency-key",
            "Ungültiger Idempotency-Key / Invalid Idempotency-Key",
            "Idempotency-Key must be 1-255 printable ASCII characters.",
        )
    return key.strip()


@bp.route("/api/forms", methods=["GET"])
@guarded
def list_forms() -> Response:
    from chalicelib.domain.dates import berlin_today
    from chalicelib.services.catalogue import form_listing

    c = container()
    forms = c.registry.load_all().values()
    today = berlin_today(c.clock.now())
    body: dict[str, Any] = {"forms": [form_listing(form, today) for form in forms]}
    problems = c.registry.problems
    if problems:  # only where forms reload (local stage): a saved file that is broken
        body["problems"] = [
            {"file": p.file.name, "pointer": p.pointer or "/", "problem": p.problem}
            for p in problems
        ]
    return json_response(body)


@bp.route("/api/forms/{form_id}/streets", methods=["GET"])
@guarded
def suggest_streets(form_id: str) -> Response:
    """Street names of the zone map for a partial entry (``?q=wirt``), for autocompletion.

    Only for forms whose zone comes from the address; at most 10 names, prefix matches
    first. Public data (the city's street list), so it may be cached.
    """
    c = container()
    form = c.registry.get(form_id)
    zone_map = c.registry.zone_map
    if form is None or zone_map is None or not form.permit.zone.from_address:
        raise NotFoundError("unknown form")
    query = current_request().query_params
    text = str(query.get("q", "") if query else "")[:60]
    streets = zone_map.suggest(text) if text.strip() else []
    return json_response(
        {"query": text, "streets": streets},
        headers={"Cache-Control": "public, max-age=300"},
    )


@bp.route("/api/forms/{form_id}", methods=["GET"])
@guarded
def get_form(form_id: str) -> Response:
    form = container().registry.get(form_id)
    if form is None:
        raise NotFoundError("unknown form")
    return json_response(form.schema, headers={"Cache-Control": "public, max-age=300"})


@bp.route("/api/forms/{form_id}/applications", methods=["POST"])
@guarded
def submit_application(form_id: str) -> Response:
    c = container()
    if c.registry.get(form_id) is None:
        raise NotFoundError("unknown form")
    data = parse_json_body(raw_body())
    key = idempotency_key()
    result = c.submissions.submit(form_id, data, key)
    logs.bind(application_id=str(result.body["id"]))
    headers = {"Location": f"/api/applications/{result.body['id']}"}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return json_response(result.body, 201, headers)
