"""The officer app in a real Chromium: in-page verification, offline after one visit, scanning.

Permits come from the running service exactly as citizens get them (submit, sandbox checkout,
Pay -> signed webhook); one is revoked by a signed refund webhook while the phone is online.
"Offline" is Playwright's ``context.set_offline(True)``: fetches and navigations fail as with
no signal; what still works comes from the service worker's caches.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.conftest import LiveService
from tests.e2e.web import assert_accessible, assert_reflows

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "tokens.json"


def _token(status: dict[str, Any]) -> str:
    url: str = status["permit"]["verify_url"]
    return url.split("#", 1)[1]


def _tampered(token: str) -> str:
    position = len(token) // 2  # inside the signed bytes: one digit changed
    return token[:position] + str((int(token[position]) + 1) % 10) + token[position + 1 :]


def _unknown_key_token(tmp_path: Path) -> str:
    """A well-formed permit signed by a key the service never published (key id 9)."""
    from datetime import date

    from chalicelib.adapters.signing.local_key import LocalKeySigner, ensure_local_key
    from chalicelib.domain.token import PermitClaims, sign_token, token_to_text

    key = tmp_path / "forger.pem"
    ensure_local_key(key)
    today = datetime.now(UTC).date()
    claims = PermitClaims(
        serial=secrets.randbits(32),
        zone="C",
        permit_type=1,
        valid_from=today,
        valid_to=date(today.year + 1, 1, 1),
        plates=("DNAB123",),
    )
    return token_to_text(sign_token(claims, LocalKeySigner(key, 9)))


def _result(page: Page) -> dict[str, str]:
    page.wait_for_selector("#result[aria-busy='false']")
    return {
        "result": page.get_attribute("#result", "data-result") or "",
        "source": page.get_attribute("#result", "data-source") or "",
        "de": " ".join(page.inner_text("#verdict-de").split()),
        "en": " ".join(page.inner_text("#verdict-en").split()),
    }


def _open(context: BrowserContext, url: str) -> Page:
    page = context.new_page()
    page.goto(url)
    return page


def _wait_offline_ready(page: Page) -> None:
    """Service worker active and controlling, caches filled (the page's CSP forbids eval,
    so waits use selectors, never ``wait_for_function`` with a string)."""
    page.wait_for_selector("html[data-offline-ready='true']", state="attached")


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="de-DE", viewport=PHONE, service_workers="allow")
    try:
        yield context
    finally:
        context.close()


@pytest.fixture(scope="module")
def permits(live_service: LiveService, chromium: str) -> dict[str, Any]:
    valid = live_service.issue_permit()
    to_revoke = live_service.issue_permit()
    return {"valid": valid, "to_revoke": to_revoke}


def _plate(status: dict[str, Any]) -> str:
    """The permit's first plate as the service stores and shows it (each test has its own)."""
    return str(status["permit"]["plates"][0])


def _refund(live_service: LiveService, issued: tuple[Any, dict[str, Any]]) -> None:
    submitted, _ = issued
    response = live_service.send_webhook(
        "payment.refunded",
        application_id=submitted.id,
        payment_id=live_service.payment_id(submitted.id),
        amount_cents=submitted.body["fee"]["amount_cents"],
    )
    assert response.status == 200 and response.json()["result"] == "revoked", response.text


# -- online -------------------------------------------------------------------------------


def test_online_the_service_confirms_and_the_page_shows_type_plates_zone(
    live_service: LiveService, permits: dict[str, Any], phone: BrowserContext
) -> None:
    _, status = permits["valid"]
    page = _open(phone, f"{live_service.base_url}/v#{_token(status)}")
    shown = _result(page)
    assert shown["result"] == "valid" and shown["source"] == "online", shown
    assert shown["de"] == "✔ GÜLTIG – online bestätigt"
    assert shown["en"] == "✔ VALID – confirmed online"
    assert page.inner_text("#permit-type").split("\n")[0] == "Bewohnerparkausweis"
    assert page.inner_text("#plates") == _plate(status)
    assert page.inner_text("#zone") == status["permit"]["zone"]
    assert page.inner_text("#permit-number") == status["permit"]["number"]
    assert "Kennzeichen mit dem Fahrzeug vergleichen" in page.inner_text("#compare")
    assert page.locator("h1").count() == 1
    assert_accessible(page, "valid online")
    assert_reflows(page)


def test_without_a_token_the_app_offers_scanning(
    live_service: LiveService, phone: BrowserContext
) -> None:
    page = _open(phone, f"{live_service.base_url}/v")
    assert _result(page)["result"] == "no_token"
    assert page.is_visible("#scan")
    assert_accessible(page, "no token")


# -- offline after one online visit --------------------------------------------------------


def test_offline_after_one_visit_valid_revoked_and_forged(
    live_service: LiveService, permits: dict[str, Any], phone: BrowserContext, tmp_path: Path
) -> None:
    first = _open(phone, f"{live_service.base_url}/v")
    _wait_offline_ready(first)
    before = int(first.get_attribute("#list-status", "data-iat") or "0")

    _refund(live_service, permits["to_revoke"])  # revoked while the phone is online
    first.reload()  # the app refreshes keys and list whenever it is opened online
    first.wait_for_selector("#list-status[data-iat]:not([data-iat=''])", state="attached")
    assert int(first.get_attribute("#list-status", "data-iat") or "0") >= before
    revoked_serial_listed = first.evaluate(
        """async () => {
            const keys = await permitCheck.importKeys(
                await (await fetch('.well-known/permit-keys.json')).json());
            const list = await permitCheck.parseStatusList(
                await (await fetch('.well-known/permit-status.json')).text(), keys.list);
            return list.revoked.size;
        }"""
    )
    assert revoked_serial_listed >= 1

    phone.set_offline(True)
    base = live_service.base_url
    valid = _open(phone, f"{base}/v#{_token(permits['valid'][1])}")
    shown = _result(valid)
    assert shown["result"] == "valid" and shown["source"] == "offline", shown
    assert shown["de"].startswith("✔ GÜLTIG – offline geprüft, Sperrliste von ")
    assert shown["en"].startswith("✔ VALID – checked offline, revocation list of ")
    assert valid.inner_text("#plates") == _plate(permits["valid"][1])
    assert valid.inner_text("#permit-type").split("\n")[0] == "Bewohnerparkausweis"
    assert_accessible(valid, "valid offline")

    revoked = _open(phone, f"{base}/v#{_token(permits['to_revoke'][1])}")
    shown = _result(revoked)
    assert shown["result"] == "revoked" and shown["source"] == "offline", shown
    assert shown["de"].startswith("✖ WIDERRUFEN – offline geprüft")
    assert_accessible(revoked, "revoked offline")

    token = _token(permits["valid"][1])
    for name, forged in (
        ("tampered", _tampered(token)),
        ("unknown key", _unknown_key_token(tmp_path)),
        ("truncated", token[:-6]),
    ):
        page = _open(phone, f"{base}/v#{forged}")
        shown = _result(page)
        assert shown["result"] == "invalid" and shown["source"] == "offline", (name, shown)
        assert shown["de"].startswith("✖ UNGÜLTIG")
        assert page.is_hidden("#permit"), name  # nothing of a forged token is shown
        assert_accessible(page, f"invalid offline ({name})")


def test_a_list_past_its_expiry_never_shows_green(
    live_service: LiveService, permits: dict[str, Any], phone: BrowserContext
) -> None:
    first = _open(phone, f"{live_service.base_url}/v")
    _wait_offline_ready(first)
    phone.set_offline(True)
    page = phone.new_page()
    # The phone's clock 25 hours on: the cached list (valid 24 h) is out of date.
    page.clock.set_fixed_time(datetime.now(UTC) + timedelta(hours=25))
    page.goto(f"{live_service.base_url}/v#{_token(permits['valid'][1])}")
    shown = _result(page)
    assert shown["result"] == "stale_list" and shown["source"] == "offline", shown
    assert "GÜLTIG" not in shown["de"].replace("NICHT BESTÄTIGT", "")
    assert shown["de"].startswith("⚠ NICHT BESTÄTIGT – Signatur echt, Sperrliste veraltet")
    assert page.is_visible("#plates")  # genuine signature: what it says is shown, in amber
    assert_accessible(page, "stale list")


def test_a_fresh_browser_offline_and_a_restarted_one(
    live_service: LiveService,
    permits: dict[str, Any],
    browser: Browser,
    chromium: str,
    tmp_path: Path,
) -> None:
    """What the platform allows: nothing before the first visit, everything after it.

    A browser that never opened the app has no service worker and no cache, so offline it
    can only show its own error page (no web page can run before its first download). Once
    the app was opened online, a restarted browser (same profile) opens it offline.
    """
    from playwright.sync_api import Error

    url = f"{live_service.base_url}/v#{_token(permits['valid'][1])}"
    fresh = browser.new_context(locale="de-DE", viewport=PHONE)
    try:
        fresh.set_offline(True)
        with pytest.raises(Error, match="ERR_INTERNET_DISCONNECTED"):
            fresh.new_page().goto(url)
    finally:
        fresh.close()

    profile = tmp_path / "profile"
    from tests.e2e.web import CHROMIUM_ARGS

    def launch() -> BrowserContext:
        return browser.browser_type.launch_persistent_context(
            str(profile),
            executable_path=chromium,
            args=list(CHROMIUM_ARGS),
            locale="de-DE",
            viewport=PHONE,
        )

    context = launch()
    try:
        _wait_offline_ready(_open(context, f"{live_service.base_url}/v"))
    finally:
        context.close()
    context = launch()  # the phone restarted, still no signal
    try:
        context.set_offline(True)
        page = _open(context, url)
        shown = _result(page)
        assert shown["result"] == "valid" and shown["source"] == "offline", shown
        assert_accessible(page, "offline after restart")
    finally:
        context.close()


# -- the shared vectors --------------------------------------------------------------------


def test_shared_vectors_give_the_same_answers_in_the_browser(
    live_service: LiveService, phone: BrowserContext
) -> None:
    vectors = json.loads(VECTORS.read_text(encoding="utf-8"))
    page = _open(phone, f"{live_service.base_url}/v")
    page.wait_for_selector("#result[aria-busy='false']")  # the script ran
    answers = page.evaluate(
        """async (vectors) => {
            const keys = await permitCheck.importKeys(vectors.jwks);
            const tokens = [];
            for (const c of vectors.tokens) tokens.push(await permitCheck.checkText(c.text, keys.token));
            const lists = [];
            for (const c of vectors.status_lists) {
                try {
                    const l = await permitCheck.parseStatusList(c.document, keys.list);
                    lists.push({ok: true, iat: l.iat,
                        revoked: [...l.revoked].sort((a, b) => a - b),
                        superseded: [...l.superseded].sort((a, b) => a - b)});
                } catch (e) { lists.push({ok: false, reason: e.reason}); }
            }
            return {tokens, lists};
        }""",
        vectors,
    )
    expected_tokens = [
        {k: v for k, v in case.items() if k not in ("name", "text")} for case in vectors["tokens"]
    ]
    mismatches = [
        (case["name"], want, got)
        for case, want, got in zip(
            vectors["tokens"], expected_tokens, answers["tokens"], strict=True
        )
        if want != got
    ]
    assert not mismatches, mismatches[:5]
    for case, got in zip(vectors["status_lists"], answers["lists"], strict=True):
        want = {k: case[k] for k in ("ok", "iat", "revoked", "superseded") if k in case}
        if not case["ok"]:
            want = {"ok": False, "reason": case["reason"]}
        assert got == want, case["name"]


# -- the app's own files ---------------------------------------------------------------------


def test_app_files_headers_and_size(live_service: LiveService) -> None:
    page = live_service.request("GET", "/v")
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "<script>" not in page.text  # no inline script at all
    script = live_service.request("GET", "/officer/app.js")
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert len(page.body) + len(script.body) <= 50_000
    worker = live_service.request("GET", "/officer-sw.js")
    assert worker.headers["Cache-Control"] == "no-cache"
    assert "__OFFICER_VERSION__" not in worker.text
    manifest = live_service.request("GET", "/officer/manifest.webmanifest").json()
    assert manifest["start_url"] == "../v" and manifest["display"] == "standalone"
    decoder = live_service.request("GET", "/officer/jsqr.js")
    assert decoder.status == 200 and b"jsQR" in decoder.body
    types = live_service.request("GET", "/officer/permit-types.json").json()["types"]
    assert types["1"] == {"de": "Bewohnerparkausweis", "en": "Resident parking permit"}
    assert live_service.request("GET", "/officer/nothing.js").status == 404


# -- scanning inside the app -----------------------------------------------------------------


def _y4m_of_qr(content: str, path: Path, size: int = 480) -> Path:
    """A still video (YUV4MPEG2, 4:2:0) of the QR code, for Chromium's fake camera."""
    import segno

    matrix = [list(row) for row in segno.make(content, error="q").matrix_iter(border=4)]
    scale = size // len(matrix)
    offset = (size - scale * len(matrix)) // 2
    luma = bytearray(b"\xff" * size * size)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(scale):
                    start = (offset + y * scale + dy) * size + offset + x * scale
                    luma[start : start + scale] = b"\x00" * scale
    chroma = b"\x80" * (size // 2) * (size // 2)
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    header = f"YUV4MPEG2 W{size} H{size} F5:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + frame * 3)
    return path


def test_scanning_in_the_app_checks_car_after_car(
    live_service: LiveService,
    permits: dict[str, Any],
    browser: Browser,
    chromium: str,
    tmp_path: Path,
) -> None:
    """The "Scannen" button reads the QR from the camera (here Chromium's fake camera playing
    a picture of the printed code) and shows the verdict without leaving the app. Linux
    Chromium has no BarcodeDetector, so this runs the npm decoder (jsQR) the service serves."""
    from tests.e2e.web import CHROMIUM_ARGS

    _, status = permits["valid"]
    video = _y4m_of_qr(status["permit"]["verify_url"], tmp_path / "qr.y4m")
    camera_browser = browser.browser_type.launch(
        executable_path=chromium,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = camera_browser.new_context(locale="de-DE", viewport=PHONE)
        context.grant_permissions(["camera"], origin=live_service.base_url)
        page = _open(context, f"{live_service.base_url}/v")
        assert _result(page)["result"] == "no_token"
        page.click("#scan")
        page.wait_for_selector("#result[data-result='valid'][aria-busy='false']", timeout=20_000)
        assert page.inner_text("#plates") == _plate(status)
        assert page.is_hidden("#scanner")  # camera off again, the verdict in view
        assert page.evaluate("location.hash") == "#" + _token(status)
        assert page.evaluate("'jsQR' in window")  # the decoder was loaded on demand
        assert_accessible(page, "after a scan")
        page.click("#scan")  # next car: the camera opens again in the same page
        page.wait_for_selector("#scanner:not([hidden])")
        page.click("#scan-stop")
        assert page.is_hidden("#scanner")
    finally:
        camera_browser.close()


def test_chromium_finds_the_app_installable(
    live_service: LiveService, phone: BrowserContext
) -> None:
    page = _open(phone, f"{live_service.base_url}/v")
    _wait_offline_ready(page)
    session = phone.new_cdp_session(page)
    manifest = session.send("Page.getAppManifest")
    assert not manifest.get("errors"), manifest.get("errors")
    errors = session.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # Playwright's contexts are incognito profiles, where Chromium never offers installing;
    # every other criterion (manifest, icon, service worker, scope) must be met.
    assert [e for e in errors if e["errorId"] != "in-incognito"] == [], errors


def test_without_keys_and_service_the_app_says_it_cannot_check(
    live_service: LiveService, permits: dict[str, Any], phone: BrowserContext
) -> None:
    """A genuine permit must never be called forged because this phone has no keys yet."""
    phone.route("**/.well-known/permit-keys.json", lambda route: route.abort())
    phone.route("**/api/verify", lambda route: route.abort())
    page = _open(phone, f"{live_service.base_url}/v#{_token(permits['valid'][1])}")
    shown = _result(page)
    assert shown["result"] == "error", shown
    assert shown["de"] == "⚠ PRÜFUNG NICHT MÖGLICH – keine Schlüssel geladen"
    assert page.is_hidden("#permit")
    assert_accessible(page, "no keys")
