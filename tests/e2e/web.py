"""Real-browser checks shared by every page test: Playwright driving Debian's Chromium, axe-core.

The browser is launched once per test session (``browser`` fixture in ``conftest.py``); each
test gets a fresh context, so no cookies, storage or cache leak between tests. Playwright
cannot download its own browsers here, so it always drives the system Chromium.

- :func:`assert_accessible` runs axe-core (bundled by ``axe-playwright-python``) with the
  WCAG 2.0/2.1 A and AA rules and fails with every violation spelled out.
- :func:`assert_reflows` loads the page at 320 CSS px (WCAG 1.4.10) and fails when anything
  makes the page scroll sideways.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = ["CHROMIUM_ARGS", "WCAG_TAGS", "assert_accessible", "assert_reflows", "axe_violations"]

CHROMIUM_ARGS = (
    "--no-sandbox",  # containers and CI run as root, where the sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # else Chromium floods the closed network
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": [*WCAG_TAGS, "best-practice"]}}
    result = Axe().run(page, options=options)
    violations: list[dict[str, Any]] = result.response["violations"]
    return violations


def assert_accessible(page: Page, state: str = "") -> None:
    """Zero axe-core violations on the page as it is now (any state: errors shown, offline...)."""
    violations = axe_violations(page)
    if violations:
        lines = [f"axe-core found {len(violations)} violation(s) on {page.url} {state}".rstrip()]
        for violation in violations:
            targets = [node["target"] for node in violation["nodes"]][:5]
            lines.append(
                f"- {violation['id']} ({violation['impact']}): {violation['help']} {targets}"
            )
        raise AssertionError("\n".join(lines))


def assert_reflows(page: Page, width: int = 320) -> None:
    """At ``width`` CSS px the page needs no horizontal scrolling (WCAG 1.4.10 Reflow)."""
    height = page.viewport_size["height"] if page.viewport_size else 640
    page.set_viewport_size({"width": width, "height": height})
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, (
        f"{page.url} scrolls sideways at {width} px: {scroll_width} px wide"
    )
