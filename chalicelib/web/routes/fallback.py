"""Unknown paths: a 404 problem, as from every other route, instead of the gateway's 403.

``chalice local`` and the test client answer a path no route matches with API Gateway's
403 ``{"message": "Missing Authentication Token"}`` before the app is called, so neither the
middleware nor ``guarded`` can touch it. Chalice has no hook for that, but its route matcher
tries concrete routes before variable ones, so one catch-all route per path depth (every
segment a variable) is matched last and only when nothing else is. Chalice has no greedy
path parameter locally (``{proxy+}`` matches one segment there), hence one route per depth
up to ``MAX_DEPTH`` segments; deeper paths, and whatever API Gateway answers itself in the
deployment (a wrong method on a known path, throttling, ...), are problems through the
Gateway Responses in ``infra/resources.json``.

No route of the service may start with a variable segment: it would be a sibling of these.
"""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.domain.errors import NotFoundError
from chalicelib.web.context import guarded

__all__ = ["MAX_DEPTH", "bp"]

bp = Blueprint(__name__)

MAX_DEPTH = 8
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


@guarded
def unknown_path(**_segments: str) -> Response:
    raise NotFoundError("no such path")


for _depth in range(1, MAX_DEPTH + 1):
    _path = "".join(f"/{{p{index}}}" for index in range(1, _depth + 1))
    bp.route(_path, methods=_METHODS, content_types=["*/*"], name=f"unknown_path_{_depth}")(
        unknown_path
    )
