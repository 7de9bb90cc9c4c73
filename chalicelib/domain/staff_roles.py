"""Who a staff member is and what they may do, independent of how they signed in.

Roles are ranked: ``admin`` may do everything a ``clerk`` may, a ``clerk`` everything a
``viewer`` may. A city's identity provider hands out groups; a member of several groups gets
the highest role among them. One ranked list keeps the role x action matrix small enough to
test completely and matches how a town hall hands out rights (read, act, administer).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.errors import StaffForbiddenError

__all__ = ["Role", "StaffForbiddenError", "StaffPrincipal", "role_from_groups"]


class Role(StrEnum):
    VIEWER = "viewer"  # read queues, search, applications (each view of answers is audited)
    CLERK = "clerk"  # act on applications: revoke, supersede, resolve flags, cancel
    ADMIN = "admin"  # forms overview, exports for finance, erasure requests

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Role.VIEWER: 1, Role.CLERK: 2, Role.ADMIN: 3}


@dataclass(frozen=True, slots=True)
class StaffPrincipal:
    """A signed-in staff member. ``actor`` goes into audit entries; it is a stable subject id
    (the identity provider's ``sub``, or a hash prefix for a static script token), never a name
    or an e-mail address, so audit trails and logs carry no personal data of staff either."""

    actor: str
    role: Role

    def require(self, needed: Role) -> None:
        if self.role.rank < needed.rank:
            raise StaffForbiddenError(f"this action needs the role {needed.value}")


def role_from_groups(groups: Iterable[str], granted_by: Iterable[tuple[str, str]]) -> Role | None:
    """The highest role any of ``groups`` grants, or None (signed in, but no role here).

    ``granted_by`` pairs a role's name with the identity provider's group that grants it
    (configurable per city: ``permit-viewer``, ``permit-clerk``, ``permit-admin`` by default).
    Group names are compared exactly: an identity provider's groups are identifiers.
    """
    held = set(groups)
    roles = [Role(role) for role, group in granted_by if group and group in held]
    return max(roles, key=lambda role: role.rank, default=None)
