"""Headless Chromium for the end-to-end tests: the DOM after the page's scripts ran, a screenshot.

One short-lived browser process per call, with a fresh profile directory, so tests share no
cookies, storage or cache. ``--virtual-time-budget`` lets the page's timers and fetches run
until it is idle (or the budget is spent) before Chromium dumps the DOM or paints.

Chromium is found as ``$PERMIT_CHROMIUM``, else ``chromium``, ``chromium-browser``,
``google-chrome`` on the PATH (Debian's ``/usr/bin/chromium`` is what ``make system-deps``
installs).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

__all__ = ["PHONE_WINDOW", "Dom", "dump_dom", "find_chromium", "parse_dom", "screenshot"]

PHONE_WINDOW = (390, 844)  # CSS pixels of a common phone in portrait
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_TIMEOUT_SECONDS = 60

_COMMON_FLAGS = (
    "--headless",
    "--no-sandbox",  # containers and CI run as root, where the sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # small /dev/shm in containers
    "--hide-scrollbars",
    "--mute-audio",
)


def find_chromium() -> str | None:
    explicit = os.environ.get("PERMIT_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else shutil.which(explicit)
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(args: Sequence[str], profile: Path) -> subprocess.CompletedProcess[str]:
    chromium = find_chromium()
    if chromium is None:
        raise RuntimeError("Chromium not found (install it with `make system-deps`)")
    command = [chromium, *_COMMON_FLAGS, f"--user-data-dir={profile}", *args]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_SECONDS,
        check=False,
        env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": "disabled:"},
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"chromium exited with {result.returncode}: {result.stderr.strip()[-2000:]}"
        )
    return result


def dump_dom(
    url: str,
    *,
    budget_ms: int = 8000,
    window: tuple[int, int] = PHONE_WINDOW,
    profile: Path | None = None,
) -> str:
    """The serialised DOM of ``url`` once its scripts ran (up to ``budget_ms`` virtual time).

    ``profile``: a user-data directory to keep between calls (same localStorage, like one
    phone visiting twice); by default every call gets a fresh, empty one.
    """
    args = [
        f"--window-size={window[0]},{window[1]}",
        f"--virtual-time-budget={budget_ms}",
        "--dump-dom",
        url,
    ]
    if profile is not None:
        return _run(args, profile).stdout
    with tempfile.TemporaryDirectory(prefix="e2e-chromium-") as fresh:
        return _run(args, Path(fresh)).stdout


def screenshot(
    url: str,
    png_path: Path,
    *,
    budget_ms: int = 8000,
    window: tuple[int, int] = PHONE_WINDOW,
) -> Path:
    """A PNG of the viewport at ``window`` size (phone by default) after the scripts ran."""
    png_path = png_path.resolve()
    png_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="e2e-chromium-") as profile:
        _run(
            [
                f"--window-size={window[0]},{window[1]}",
                f"--virtual-time-budget={budget_ms}",
                f"--screenshot={png_path}",
                url,
            ],
            Path(profile),
        )
    if not png_path.is_file():
        raise RuntimeError(f"chromium wrote no screenshot to {png_path}")
    return png_path


# -- reading the dumped DOM ---------------------------------------------------------------

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)

_NOT_SHOWN = frozenset({"script", "style", "noscript", "template"})


@dataclass
class Dom:
    """What the tests read from a dumped page: elements by id, and all visible text."""

    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    body_text: str = ""

    def text(self, element_id: str) -> str:
        """The element's text content (descendants included), whitespace collapsed."""
        assert element_id in self.texts, f"no element with id {element_id!r}"
        return " ".join(self.texts[element_id].split())

    def attr(self, element_id: str, name: str) -> str | None:
        assert element_id in self.attributes, f"no element with id {element_id!r}"
        return self.attributes[element_id].get(name)

    def hidden(self, element_id: str) -> bool:
        return "hidden" in self.attributes[element_id]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.dom = Dom()
        self._stack: list[tuple[str, str | None]] = []  # (tag, id)
        self._body: list[str] = []
        self._skip = 0  # inside <script>, <style>, <noscript>: not text a reader sees

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        values = {name: value or "" for name, value in attrs}
        element_id = values.get("id")
        if element_id is not None:
            self.dom.attributes[element_id] = values
            self.dom.texts[element_id] = ""
        self._stack.append((tag, element_id))
        if tag in _NOT_SHOWN:
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        while self._stack:  # tolerate a missing end tag: close up to the matching one
            open_tag, _ = self._stack.pop()
            if open_tag in _NOT_SHOWN:
                self._skip -= 1
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self._body.append(data)
        for _, element_id in self._stack:
            if element_id is not None:
                self.dom.texts[element_id] += data


def parse_dom(html_text: str) -> Dom:
    collector = _Collector()
    collector.feed(html_text)
    collector.close()
    collector.dom.body_text = " ".join(" ".join(collector._body).split())
    return collector.dom
