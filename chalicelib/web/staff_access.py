"""The one gate in front of every staff route, page or JSON: who is calling, may they do it.

Every staff route starts with ``require_staff(Role.X)``; it raises StaffAuthError (401) when
no valid credential comes with the request and StaffForbiddenError (403) when the role is too
low. Credentials accepted today: a static script token (``Authorization: Bearer``, configured
as a SHA-256 hash, role admin). Sign-in through the city's identity provider (issue 12) adds
OIDC access tokens and the staff session cookie here, so no route changes.
"""

from __future__ import annotations

from chalicelib.domain.staff_roles import Role, StaffPrincipal
from chalicelib.web.context import container, header

__all__ = ["require_staff"]


def require_staff(needed: Role) -> StaffPrincipal:
    from chalicelib.services.staff import authenticate_staff

    principal = authenticate_staff(header("authorization"), container().settings.staff_token_hashes)
    principal.require(needed)
    return principal
