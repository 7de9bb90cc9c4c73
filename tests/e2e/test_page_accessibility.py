"""Pages pass axe-core (WCAG 2.1 AA) and reflow at 320 px, checked in a real Chromium.

The officer app `/v` is checked in every state (online, offline, revoked, invalid, stale list,
after a scan) in `test_officer_app.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import LiveService
from tests.e2e.web import assert_accessible, assert_reflows

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e


def test_status_page_awaiting_payment(live_service: LiveService, page: Page) -> None:
    submitted = live_service.submit_example()
    page.goto(f"{live_service.base_url}/status/{submitted.id}#token={submitted.access_token}")
    page.wait_for_load_state("networkidle")
    assert_accessible(page, "submitted")
    assert_reflows(page)
