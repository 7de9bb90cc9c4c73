"""The citizen's pages."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.web.context import guarded
from chalicelib.web.responses import html_response

__all__ = ["bp"]

bp = Blueprint(__name__)


@bp.route("/status/{application_id}", methods=["GET"])
@guarded
def status_page(application_id: str) -> Response:
    from chalicelib.web.pages import PAGE_HEADERS, status_page_html

    return html_response(status_page_html(), headers=PAGE_HEADERS)
