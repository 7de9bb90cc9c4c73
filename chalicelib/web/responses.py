"""The two response shapes routes answer with besides problems: JSON and HTML."""

from __future__ import annotations

import json
from typing import Any

from chalice.app import Response

__all__ = ["html_response", "json_response"]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={
            "Content-Type": "application/json",
            "Cache-Control": "no-store",
            **(headers or {}),
        },
    )


def html_response(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=text,
        status_code=status,
        headers={"Content-Type": "text/html; charset=utf-8", **(headers or {})},
    )
