"""Roles are ranked: each role may do what the roles below it may, and nothing above."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import StaffForbiddenError
from chalicelib.domain.staff_roles import Role, StaffPrincipal

ORDER = [Role.VIEWER, Role.CLERK, Role.ADMIN]


@pytest.mark.parametrize("held", ORDER)
@pytest.mark.parametrize("needed", ORDER)
def test_a_role_allows_exactly_the_roles_at_or_below_it(held: Role, needed: Role) -> None:
    principal = StaffPrincipal("sub-1", held)
    if ORDER.index(held) >= ORDER.index(needed):
        principal.require(needed)
    else:
        with pytest.raises(StaffForbiddenError, match=needed.value):
            principal.require(needed)
