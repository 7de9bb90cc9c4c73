"""The Chalice app: routes parse a request, call one service, shape the response.

No logic and no heavy imports here (Chalice imports this module while packaging, and every
cold start pays for what it imports): services and adapters are built lazily by the
Container on first use.
"""

from __future__ import annotations

import json
from typing import Any

from chalice.app import Chalice, Response

from chalicelib.config import Settings
from chalicelib.domain.errors import NotFoundError
from chalicelib.web.problems import problem_responses
from chalicelib.web.requests import parse_json_body
from chalicelib.wiring import Container

app = Chalice(app_name="permit-service")
app.api.binary_types.append("application/pdf")

_container: Container | None = None


def container() -> Container:
    """The process-wide Container, built from the environment on first use."""
    global _container  # noqa: PLW0603 - one composition root per process, replaceable in tests
    if _container is None:
        _container = Container(Settings.from_env())
    return _container


def set_container(new: Container | None) -> None:
    global _container  # noqa: PLW0603
    _container = new


def _accept_language() -> str | None:
    request = app.current_request
    return request.headers.get("accept-language") if request is not None else None


guarded = problem_responses(_accept_language)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": "application/json", "Cache-Control": "no-store", **(headers or {})},
    )


def _header(name: str) -> str | None:
    value: str | None = app.current_request.headers.get(name)
    return value


# -- forms --------------------------------------------------------------------------------


@app.route("/api/forms", methods=["GET"])
@guarded
def list_forms() -> Response:
    from chalicelib.services.catalogue import form_listing

    forms = container().registry.load_all().values()
    return _json({"forms": [form_listing(form) for form in forms]})


@app.route("/api/forms/{form_id}", methods=["GET"])
@guarded
def get_form(form_id: str) -> Response:
    form = container().registry.get(form_id)
    if form is None:
        raise NotFoundError("unknown form")
    return _json(form.schema, headers={"Cache-Control": "public, max-age=300"})


@app.route("/api/forms/{form_id}/applications", methods=["POST"])
@guarded
def submit_application(form_id: str) -> Response:
    c = container()
    if c.registry.get(form_id) is None:
        raise NotFoundError("unknown form")
    data = parse_json_body(app.current_request.raw_body)
    key = _header("idempotency-key")
    result = c.submissions.submit(form_id, data, key)
    headers = {"Location": f"/api/applications/{result.body['id']}"}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return _json(result.body, 201, headers)


# -- applications -------------------------------------------------------------------------


@app.route("/api/applications/{application_id}", methods=["GET"])
@guarded
def get_application(application_id: str) -> Response:
    from chalicelib.services.applications import bearer_token, status_body

    c = container()
    application = c.access.get(application_id, bearer_token(_header("authorization")))
    return _json(status_body(application, c.settings.public_base_url))
