"""The staff navigation (components/staff_nav.html in staff/base.html): role, sign-out form."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from chalicelib.config import APP_ROOT
from chalicelib.domain.staff_roles import Role
from chalicelib.web.i18n import translate
from chalicelib.web.rendering import render


def _context(lang: str, **extra: Any) -> dict[str, Any]:
    site = json.loads((APP_ROOT / "config" / "site.json").read_text(encoding="utf-8"))
    return {
        "lang": lang,
        "t": lambda key, **params: translate(key, lang, **params),
        "site": site,
        "switch_url": "?lang=en",
        "errors": None,
        "noindex": True,
        "scripts": True,
        "preload_fonts": (),
        **extra,
    }


@pytest.mark.parametrize(
    ("lang", "role", "label"),
    [
        ("de", Role.VIEWER, "Lesen"),
        ("de", Role.CLERK, "Sachbearbeitung"),
        ("en", Role.ADMIN, "Administrator"),
    ],
)
def test_staff_pages_show_the_role_and_a_csrf_protected_sign_out(
    lang: str, role: Role, label: str
) -> None:
    nav = {"role": role.value, "role_label": label, "csrf_token": "tok-123"}
    html = render("staff/base.html", _context(lang, staff_nav=nav))
    navigation = re.search(r"<nav class=\"ps-staff-nav\".*?</nav>", html, re.S)
    assert navigation is not None
    block = navigation.group(0)
    assert f"<strong>{label}</strong>" in block
    assert 'method="post" action="/staff/signout"' in block
    assert '<input type="hidden" name="csrf_token" value="tok-123">' in block
    assert translate("staff_sign_out", lang) in block
    assert f'aria-label="{translate("staff_nav_label", lang)}"' in block


def test_without_a_principal_there_is_no_staff_navigation() -> None:
    assert "ps-staff-nav" not in render("staff/base.html", _context("de"))


def test_every_role_has_a_name_in_both_languages() -> None:
    for role in Role:
        names = {translate(f"staff_role_{role.value}", lang) for lang in ("de", "en")}
        assert all(names) and f"staff_role_{role.value}" not in names
