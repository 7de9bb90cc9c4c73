"""The page kit of staff pages: a PageKit that knows who is signed in.

Every staff page route starts with ``require_staff`` and hands its principal here::

    principal = require_staff(Role.VIEWER)
    kit = StaffPageKit(principal)
    return kit.render("staff/queue.html", ...)

Templates extending ``staff/base.html`` then show the staff navigation (the role, never a
name, and the sign-out form with its CSRF token) without each route passing it.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.domain.staff_roles import StaffPrincipal
from chalicelib.web.pagekit import PageKit

__all__ = ["StaffPageKit"]


class StaffPageKit(PageKit):
    def __init__(self, principal: StaffPrincipal) -> None:
        super().__init__()
        self.principal = principal

    def render(
        self,
        template: str,
        status: int = 200,
        form_origins: tuple[str, ...] = (),
        **context: Any,
    ) -> Response:
        context.setdefault(
            "staff_nav",
            {
                "role": self.principal.role.value,
                "role_label": self.t(f"staff_role_{self.principal.role.value}"),
                "csrf_token": self.csrf_token(),
            },
        )
        return super().render(template, status, form_origins, **context)
