"""The page kit of staff pages: a PageKit that keeps who is signed in.

The staff navigation no longer needs it (``PageKit.render`` gives every ``staff/`` template
the navigation once ``require_staff`` passed); it stays for the routes that name the
principal through their kit::

    principal = require_staff(Role.CLERK)
    kit = StaffPageKit(principal)
"""

from __future__ import annotations

from chalicelib.domain.staff_roles import StaffPrincipal
from chalicelib.web.pagekit import PageKit

__all__ = ["StaffPageKit"]


class StaffPageKit(PageKit):
    def __init__(self, principal: StaffPrincipal) -> None:
        super().__init__()
        self.principal = principal
