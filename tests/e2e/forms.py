"""Driving a schema-generated form in Chromium: any form in ``schemas/``, filled from its example.

Everything is derived from the page model the service itself renders from, so a form that
lands in ``schemas/`` is driven (and so tested) without a line here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from chalicelib.domain.pointers import MISSING, resolve_pointer
from chalicelib.web.questions.binding import displayed_values
from chalicelib.web.questions.model import Field, Page

if TYPE_CHECKING:
    from playwright.sync_api import Page as BrowserPage

__all__ = ["PAGE_TIMEOUT", "fill_page", "fill_page_by_keyboard", "visible_fields"]

PAGE_TIMEOUT = 15_000


def visible_fields(page: Page, example: dict[str, Any]) -> list[Field]:
    """The fields a citizen answers for this example (follow-ups only when they apply)."""
    return [
        f
        for f in page.fields
        if f.widget != "fixed" and (f.condition is None or f.condition.holds(example))
    ]


def _css(name: str) -> str:
    return f'[name="{name}"]'


def fill_page(browser_page: BrowserPage, page: Page, example: dict[str, Any]) -> None:
    """Type the example's answers into the page, as a pointer-and-keyboard user would."""
    values = displayed_values(page, example)
    for f in visible_fields(page, example):
        if f.widget == "date":
            for part in ("day", "month", "year"):
                browser_page.fill(_css(f"{f.name}.{part}"), values.get(f"{f.name}.{part}", ""))
        elif f.widget == "radios":
            if f.name in values:
                browser_page.check(f'{_css(f.name)}[value="{values[f.name]}"]')
        elif f.widget == "select":
            if f.name in values:
                browser_page.select_option(_css(f.name), values[f.name])
        elif f.widget == "checkbox":
            if values.get(f.name) == "true":
                browser_page.check(_css(f.name))
        elif f.widget == "list":
            items = resolve_pointer(example, f.pointer)
            items = items if isinstance(items, list) else []
            for index, item in enumerate(items):
                if browser_page.locator(_css(f"{f.name}.{index}")).count() == 0:
                    browser_page.click(f'button[value="add:{f.name}"]')
                browser_page.fill(_css(f"{f.name}.{index}"), str(item))
        else:
            value = resolve_pointer(example, f.pointer)
            if value is not MISSING:
                browser_page.fill(_css(f.name), values.get(f.name, ""))


def _focused(browser_page: BrowserPage) -> tuple[str, str, str]:
    found: list[str] = browser_page.evaluate(
        "() => { const e = document.activeElement;"
        " return [e ? (e.getAttribute('name') || '') : '', e ? (e.getAttribute('value') || '') : '',"
        " e ? (e.id || '') : '']; }"
    )
    return found[0], found[1], found[2]


def tab_to(browser_page: BrowserPage, name: str, value: str | None = None, limit: int = 80) -> None:
    """Press Tab until the control ``name`` (and ``value``) has the focus."""
    for _ in range(limit):
        focused_name, focused_value, _ = _focused(browser_page)
        if focused_name == name and (value is None or focused_value == value):
            return
        browser_page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {name!r} {value or ''}")


def fill_page_by_keyboard(browser_page: BrowserPage, page: Page, example: dict[str, Any]) -> None:
    """The same answers with the keyboard alone: Tab, typing, arrows, space; Enter to go on."""
    values = displayed_values(page, example)
    keys = browser_page.keyboard
    for f in visible_fields(page, example):
        if f.widget == "date":
            for part in ("day", "month", "year"):
                tab_to(browser_page, f"{f.name}.{part}")
                keys.type(values.get(f"{f.name}.{part}", ""))
        elif f.widget == "radios" and f.name in values:
            tab_to(browser_page, f.name)
            for _ in range(len(f.options) + 1):
                checked = browser_page.evaluate(
                    '(n) => { const c = document.querySelector(`input[name="${n}"]:checked`);'
                    " return c ? c.value : null; }",
                    f.name,
                )
                if checked == values[f.name]:
                    break
                keys.press("ArrowDown" if checked is not None else "Space")
        elif f.widget == "select" and f.name in values:
            tab_to(browser_page, f.name)
            for _ in range(len(f.options) + 2):
                if browser_page.eval_on_selector(_css(f.name), "e => e.value") == values[f.name]:
                    break
                keys.press("ArrowDown")
        elif f.widget == "checkbox" and values.get(f.name) == "true":
            tab_to(browser_page, f.name)
            keys.press("Space")
        elif f.widget == "list":
            items = resolve_pointer(example, f.pointer)
            for index, item in enumerate(items if isinstance(items, list) else []):
                if browser_page.locator(_css(f"{f.name}.{index}")).count() == 0:
                    tab_to(browser_page, "action", f"add:{f.name}")
                    with browser_page.expect_navigation():
                        keys.press("Enter")
                tab_to(browser_page, f"{f.name}.{index}")
                keys.press("Control+A")
                keys.type(str(item))
        elif f.widget in ("text", "email") and f.name in values:
            tab_to(browser_page, f.name)
            keys.type(values[f.name])


def error_anchor_ids(browser_page: BrowserPage) -> list[str]:
    hrefs = browser_page.eval_on_selector_all(
        "#error-summary a", "links => links.map(a => a.getAttribute('href'))"
    )
    return [re.sub(r"^.*#", "", href) for href in hrefs]
