"""The citizen's whole journey over real HTTP, ending with an officer's check of the printed QR.

submit -> checkout -> sandbox checkout page -> Pay (signed webhook) -> 303 to the status page
-> ISSUED -> permit.pdf -> rasterised with pdftoppm -> QR decoded with zbarimg -> the decoded
URL is the service's /v#<token> -> /api/verify says valid. Then the status page itself in
Chromium, as the citizen's browser shows it after the checkout returned.

pdftoppm, pdftotext and zbarimg come from `make system-deps` (poppler-utils, zbar-tools);
without them the journey test fails saying so, it is never skipped.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.browser import dump_dom, parse_dom
from tests.e2e.conftest import LiveService

pytestmark = pytest.mark.e2e

# What Chromium sends when the citizen clicks the PDF link (a top-level navigation). Chalice
# answers a binary body only when the Accept header admits it; this one does, via */*.
BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: run `make system-deps` (poppler-utils, zbar-tools)")
    return found


def decode_qr(pdf: bytes, workdir: Path) -> str:
    """The text of the one QR code on the PDF's page, as a phone camera would read it."""
    pdf_path = workdir / "permit.pdf"
    pdf_path.write_bytes(pdf)
    subprocess.run(
        [_tool("pdftoppm"), "-r", "150", "-gray", "-png", "-singlefile", str(pdf_path),
         str(workdir / "page")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    scanned = subprocess.run(
        [_tool("zbarimg"), "--raw", "-q", str(workdir / "page.png")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert scanned.returncode == 0, f"zbarimg found no QR code ({scanned.returncode})"
    codes = scanned.stdout.strip().splitlines()
    assert len(codes) == 1, codes
    return codes[0]


def test_submit_pay_print_and_verify(live_service: LiveService, tmp_path: Path) -> None:
    submitted = live_service.submit_example()
    assert submitted.body["status"] == "SUBMITTED"
    assert (submitted.body["fee"]["amount_cents"], submitted.body["fee"]["currency"]) == (
        3000,
        "EUR",
    )

    checkout_url = live_service.open_checkout(submitted)
    page = live_service.request("GET", live_service.path_of(checkout_url))
    assert page.status == 200, page.text
    assert "30,00 €" in page.text

    paid = live_service.pay(checkout_url)
    assert paid.status == 303, paid.text
    status_url = f"{live_service.base_url}/status/{submitted.id}"
    assert paid.headers["Location"] == status_url

    status_page = live_service.request("GET", live_service.path_of(status_url))
    assert status_page.status == 200
    assert status_page.headers["Content-Type"].startswith("text/html")
    status = live_service.status(submitted)
    assert status["status"] == "ISSUED", status
    permit = status["permit"]

    pdf_path = f"/api/applications/{submitted.id}/permit.pdf?access_token={submitted.access_token}"
    response = live_service.request("GET", pdf_path, headers={"Accept": BROWSER_ACCEPT})
    assert response.status == 200, response.body[:2000]
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.body.startswith(b"%PDF-")
    assert permit["number"] in response.headers["Content-Disposition"]
    reprint = live_service.request("GET", pdf_path, headers={"Accept": "application/pdf"})
    assert reprint.body == response.body, "a reprint must be byte-identical"

    (tmp_path / "text.pdf").write_bytes(response.body)
    text = subprocess.run(
        [_tool("pdftotext"), "-layout", str(tmp_path / "text.pdf"), "-"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    assert permit["number"] in text
    assert permit["plates"][0] in text.replace(" ", "")
    # The part the citizen keeps names the holder and the address, exactly as submitted.
    data = live_service.example()
    applicant, address = data["applicant"], data["address"]
    words = " ".join(text.split())
    holder = f"{applicant['given_names']} {applicant['family_name']}"
    assert holder in words, words
    assert words.count(applicant["family_name"]) == 1, "the name belongs on the kept part only"
    assert f"{address['street']} {address['house_number']}" in words, words
    assert f"{address['postcode']} {address['city']}" in words, words

    qr = decode_qr(response.body, tmp_path)
    assert qr.startswith(f"{live_service.base_url}/v#"), qr
    assert qr == permit["verify_url"]
    token = qr.split("#", 1)[1]
    assert token.isdigit()

    verified = live_service.request("POST", "/api/verify", {"token": token})
    assert verified.status == 200
    body = verified.json()
    assert body["result"] == "valid", body
    assert body["permit"]["number"] == permit["number"]
    assert body["permit"]["plates"] == permit["plates"]


# -- the status page in the browser -------------------------------------------------------


def test_status_page_shows_the_issued_permit_and_remembers_the_token(
    live_service: LiveService, chromium: str, tmp_path: Path
) -> None:
    submitted, status = live_service.issue_permit()
    permit = status["permit"]
    profile = tmp_path / "phone"
    url = f"{live_service.base_url}/status/{submitted.id}"

    dom = parse_dom(dump_dom(f"{url}#token={submitted.access_token}", profile=profile))
    assert dom.attr("status", "data-status") == "ISSUED"
    assert dom.text("status-de") == "Ausgestellt"
    assert dom.text("status-en") == "Issued"
    assert dom.text("permit-number") == permit["number"]
    assert dom.text("permit-plates") == permit["plates"][0]
    assert not dom.hidden("permit")
    link = dom.attr("pdf-link", "href")
    assert link == (
        f"{live_service.base_url}/api/applications/{submitted.id}/permit.pdf"
        f"?access_token={submitted.access_token}"
    )
    assert dom.text("pdf-link").startswith("Ausweis herunterladen (PDF)")

    # Same phone, later, without the fragment: the token was kept in localStorage.
    again = parse_dom(dump_dom(url, profile=profile))
    assert again.attr("status", "data-status") == "ISSUED"
    assert again.attr("pdf-link", "href") == link


def test_status_page_waits_for_the_payment_confirmation(
    live_service: LiveService, chromium: str
) -> None:
    submitted = live_service.submit_example()
    live_service.open_checkout(submitted)  # back from the checkout without paying: no webhook
    url = f"{live_service.base_url}/status/{submitted.id}#token={submitted.access_token}"

    early = parse_dom(dump_dom(url, budget_ms=3000))
    assert early.attr("status", "data-status") == "AWAITING_PAYMENT"
    assert early.text("status-de") == "Zahlung wird bestätigt …"
    assert early.hidden("permit") and early.hidden("pay-button")

    # 60 s of polling later (virtual time): it says so and offers the way back to the payment.
    late = parse_dom(dump_dom(url, budget_ms=65_000))
    assert late.attr("status", "data-status") == "AWAITING_PAYMENT"
    assert late.text("status-de") == "Zahlung noch nicht bestätigt"
    assert not late.hidden("pay-button")
    assert "nicht ein zweites Mal bezahlen" in late.text("hint")
    assert late.hidden("permit")


def test_status_page_without_token_explains_how_to_get_access(
    live_service: LiveService, chromium: str
) -> None:
    submitted = live_service.submit_example()
    dom = parse_dom(dump_dom(f"{live_service.base_url}/status/{submitted.id}"))
    assert dom.attr("status", "data-status") == "no_token"
    assert "Antragsbestätigung" in dom.text("hint")
    assert "confirmation" in dom.text("hint")
    assert dom.hidden("permit")
