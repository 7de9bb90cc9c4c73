"""The citizen's whole journey over real HTTP, ending with an officer's check of the printed QR.

submit -> checkout -> sandbox checkout page -> Pay (signed webhook) -> 303 to the status page
-> ISSUED -> permit.pdf -> rasterised with pdftoppm -> QR decoded with zbarimg -> the decoded
URL is the service's /v#<token> -> /api/verify says valid.

pdftoppm, pdftotext and zbarimg come from `make system-deps` (poppler-utils, zbar-tools);
without them the journey test fails saying so, it is never skipped.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

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

    # curl has no session: the status page says to open the private link, and shows nothing
    status_page = live_service.request("GET", live_service.path_of(status_url))
    assert status_page.status == 404
    assert status_page.headers["Content-Type"].startswith("text/html")
    assert submitted.id not in status_page.text
    status = live_service.status(submitted)
    assert status["status"] == "ISSUED", status
    permit = status["permit"]

    pdf_path = f"/api/applications/{submitted.id}/permit.pdf"
    leaked = live_service.request(
        "GET",
        f"{pdf_path}?access_token={submitted.access_token}",
        headers={"Accept": BROWSER_ACCEPT},
    )
    assert leaked.status == 404, "the access token is never accepted in a URL (issue 9 item 11)"
    bearer = {**live_service.bearer(submitted), "Accept": BROWSER_ACCEPT}
    response = live_service.request("GET", pdf_path, headers=bearer)
    assert response.status == 200, response.body[:2000]
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.body.startswith(b"%PDF-")
    assert permit["number"] in response.headers["Content-Disposition"]
    reprint = live_service.request(
        "GET", pdf_path, headers={**live_service.bearer(submitted), "Accept": "application/pdf"}
    )
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


# The status page in the browser (session, private link, polling) is tested with the whole web
# journey in test_web_journey.py; its accessibility in test_page_accessibility.py.
