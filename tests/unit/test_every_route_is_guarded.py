"""Every route answers errors the same way: domain errors as problems, a dependency that is
down as 503 with Retry-After, anything else as a logged 500 without a stack trace.

That holds only if every view passes through ``guarded``; a route added without it would
answer Chalice's own bare 500 when DynamoDB is down. This walks the app's route table.
"""

from __future__ import annotations


def test_every_route_is_wrapped_by_guarded() -> None:
    import app as app_module

    unguarded = sorted(
        f"{method} {path}"
        for path, methods in app_module.app.routes.items()
        for method, entry in methods.items()
        if not getattr(entry.view_function, "__guarded__", False)
    )
    assert app_module.app.routes, "no routes registered"
    assert unguarded == []


def test_the_request_middleware_is_registered() -> None:
    import app as app_module
    from chalicelib.web.observability import observe_request

    assert (observe_request, "http") in app_module.app.middleware_handlers
