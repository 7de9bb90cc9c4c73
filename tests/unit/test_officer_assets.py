"""The officer app's files: small, no inline script, a service worker that changes with them."""

from __future__ import annotations

import json
import re

from chalicelib.config import APP_ROOT
from chalicelib.domain.forms import FormDefinition
from chalicelib.services.catalogue import permit_type_names
from chalicelib.web import officer


def test_page_and_script_stay_under_fifty_kilobytes() -> None:
    _, script = officer.asset("officer/app.js")
    assert len(officer.page_html().encode("utf-8")) + len(script) <= 50_000


def test_page_has_one_h1_no_inline_script_and_a_hashed_style() -> None:
    html = officer.page_html()
    assert len(re.findall(r"<h1[\s>]", html)) == 1
    assert "<script>" not in html and 'src="officer/app.js"' in html
    csp = officer.page_headers()["Content-Security-Policy"]
    assert re.search(r"style-src 'sha256-[A-Za-z0-9+/=]+';", csp)
    assert "script-src 'self';" in csp and "unsafe" not in csp


def test_page_links_the_legal_pages_every_page_of_the_site_has() -> None:
    """Impressum, privacy and the accessibility statement (BITV 2.0) from every page, as the
    citizen pages' footer has them; relative, like the app's other URLs."""
    html = officer.page_html()
    for page in ("impressum", "datenschutz", "barrierefreiheit"):
        assert f'href="{page}"' in html


def test_service_worker_version_follows_the_shell_files() -> None:
    worker = officer.service_worker_js()
    match = re.search(r'const VERSION = "([0-9a-f]{16})";', worker)
    assert match, worker[:300]
    for path in ("v", "officer/app.js", "officer/jsqr.js", ".well-known/permit-status.json"):
        assert f'"{path}"' in worker


def _form(form_id: str, permit_type: int, de: str, en: str) -> FormDefinition:
    """The resident form under another id, permit type and title."""
    schema = json.loads((APP_ROOT / "schemas" / "resident-parking-permit.json").read_text())
    service = schema["x-service"]
    service.update(id=form_id, title={"de": de, "en": en})
    service["permit"]["type"] = permit_type
    return FormDefinition.from_schema(schema)


def test_permit_type_names_come_from_the_forms() -> None:
    forms = [
        _form("z-trades", 3, "Handwerkerparkausweis", "Tradesperson parking permit"),
        _form("visitor", 2, "Besucherparkausweis", "Visitor parking permit"),
        _form("b-resident", 1, "Bewohnerparkausweis", "Resident parking permit"),
        _form("a-resident-free", 1, "Bewohnerparkausweis (frei)", "Resident (free)"),
    ]
    names = permit_type_names(forms)
    assert list(names) == ["1", "2", "3"]
    assert names["1"]["de"] == "Bewohnerparkausweis (frei)"  # the first form id names a type
    assert names["3"] == {"de": "Handwerkerparkausweis", "en": "Tradesperson parking permit"}
