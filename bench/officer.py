"""Rows 7-*: the officer app (issue 13).

- 7-officer-verify: one offline check in the page, in Chromium: decode the QR text, WebCrypto
  ECDSA verify, revocation-list lookup and the verdict, with a list of 2,500 entries loaded;
  the officer app's own code (``window.permitCheck``) from the real page. Baseline in the
  same run: the Python verifier (``TokenVerifier.verify_text`` + set lookup) on the same token.
- 7-status-list-size: the signed list for 50,000 active permits of which 5 % (2,500) are
  revoked or superseded, random 32-bit serials, gzip -9. Baseline: the same serials as a
  plain JSON array of numbers, gzipped.
- 7-status-list-generate: ``StatusListService.regenerate()`` against moto's DynamoDB with
  2,500 entries in the revocation partition (Query of all pages, Rice coding, ES256 signing,
  self-check, conditional PutItem). Baseline: the same without DynamoDB (encode and sign).
- 7-officer-size: page + script bytes as served (the QR decoder loads only for scanning and
  is reported in the note).
"""

from __future__ import annotations

import gzip
import http.server
import json
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.local_service import LocalService
from bench.plan import Plan
from bench.rows import Row, Spec, Target
from bench.stats import median

__all__ = ["SPECS", "run"]

SPECS = (
    Spec(
        "7-officer-verify",
        "officer app: offline check in Chromium (median)",
        Target("<=", 5, " ms"),
    ),
    Spec(
        "7-status-list-size",
        "revocation list, 50,000 permits, 5 % listed, gzip",
        Target("<=", 10_240, " B"),
    ),
    Spec("7-status-list-generate", "revocation list regeneration, 2,500 entries (moto)", None),
    Spec("7-officer-size", "officer page + script as served", Target("<=", 50_000, " B")),
)
LISTED = 2_500


def _serials(count: int, seed: int = 13) -> list[int]:
    return random.Random(seed).sample(range(2**32), count)


class _Signer:
    """A throwaway P-256 key for the benchmark's tokens and lists."""

    def __init__(self, key_id: int) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        self._key = ec.generate_private_key(ec.SECP256R1())
        self._id = key_id
        self._pem = self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def key_id(self) -> int:
        return self._id

    def sign(self, message: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        from chalicelib.domain.token import der_to_raw_signature

        return der_to_raw_signature(self._key.sign(message, ec.ECDSA(hashes.SHA256())))

    def public_key_pem(self) -> bytes:
        return self._pem


def _list_document(signer: _Signer, serials: list[int]) -> str:
    from chalicelib.domain.status_list import (
        build_payload,
        envelope,
        protected_header,
        signing_input,
    )

    payload = build_payload(
        serials[:2_000], serials[2_000:], datetime.now(UTC), timedelta(hours=24)
    )
    protected = protected_header(f"status-{signer.key_id}")
    return envelope(protected, payload, signer.sign(signing_input(protected, payload)))


@contextmanager
def _static_site(files: dict[str, tuple[str, bytes]]) -> Iterator[str]:
    """The officer page, its script and the data on 127.0.0.1 (a secure context for WebCrypto)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = files.get(self.path.split("?")[0])
            if found is None:
                self.send_response(404)
                self.end_headers()
                return
            content_type, body = found
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # no service: the page decides offline
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


_IN_PAGE = """async ([text, rounds]) => {
    const keys = await permitCheck.importKeys(
        await (await fetch('.well-known/permit-keys.json')).json());
    const list = await permitCheck.parseStatusList(
        await (await fetch('.well-known/permit-status.json')).text(), keys.list);
    const times = [];
    let verdict = '';
    for (let i = 0; i < rounds + 5; i += 1) {
        const started = performance.now();
        const local = await permitCheck.checkText(text, keys.token);
        verdict = permitCheck.offlineVerdict(local.claims, list, new Date());
        if (i >= 5) times.push(performance.now() - started);
    }
    const batch = performance.now();
    for (let i = 0; i < rounds; i += 1) {
        const local = await permitCheck.checkText(text, keys.token);
        permitCheck.offlineVerdict(local.claims, list, new Date());
    }
    return {times, verdict, batch_ms: (performance.now() - batch) / rounds};
}"""


def _in_page(plan: Plan, token_text: str, files: dict[str, tuple[str, bytes]]) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from tests.e2e.browser import find_chromium
    from tests.e2e.web import CHROMIUM_ARGS

    chromium = find_chromium()
    if chromium is None:
        raise RuntimeError("Chromium is not installed")
    with _static_site(files) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page()
            page.goto(f"{base}/v")
            page.wait_for_selector("#result[aria-busy='false']")
            result: dict[str, Any] = page.evaluate(_IN_PAGE, [token_text, plan.officer_rounds])
            return result
        finally:
            browser.close()


def _python(plan: Plan, signer: _Signer, token_text: str, listed: set[int]) -> list[float]:
    from chalicelib.domain.dates import berlin_today
    from chalicelib.domain.token import TokenVerifier, load_public_key_pem

    verifier = TokenVerifier({signer.key_id: load_public_key_pem(signer.public_key_pem())})
    times = []
    for i in range(plan.officer_rounds + 5):
        started = time.perf_counter()
        claims = verifier.verify_text(token_text)
        revoked = claims.serial in listed
        _ = revoked or berlin_today(datetime.now(UTC)) > claims.valid_to
        if i >= 5:
            times.append((time.perf_counter() - started) * 1000)
    return times


def _verify_row(plan: Plan) -> tuple[Row, dict[str, Any]]:
    from chalicelib.domain.token import PermitClaims, sign_token, token_to_text
    from chalicelib.services.keyring import jwk_for
    from chalicelib.web import officer

    token_signer, list_signer = _Signer(1), _Signer(1)
    today = datetime.now(UTC).date()
    claims = PermitClaims(
        serial=123_456_789,
        zone="C",
        permit_type=1,
        valid_from=today,
        valid_to=date(today.year + 1, today.month, 1),
        plates=("DNAB123",),
    )
    token_text = token_to_text(sign_token(claims, token_signer))
    serials = _serials(LISTED)
    document = _list_document(list_signer, serials)
    from chalicelib.domain.token import load_public_key_pem

    jwks = {
        "keys": [
            jwk_for("1", load_public_key_pem(token_signer.public_key_pem())),
            jwk_for("status-1", load_public_key_pem(list_signer.public_key_pem())),
        ]
    }
    _, script = officer.asset("officer/app.js")
    files = {
        "/v": ("text/html; charset=utf-8", officer.page_html().encode()),
        "/officer/app.js": ("text/javascript", script),
        "/.well-known/permit-keys.json": ("application/json", json.dumps(jwks).encode()),
        "/.well-known/permit-status.json": ("application/json", document.encode()),
        "/officer/permit-types.json": ("application/json", b'{"types": {}}'),
    }
    page = _in_page(plan, token_text, files)
    if page["verdict"] != "valid":
        raise RuntimeError(f"the page answered {page['verdict']!r}, not 'valid'")
    python = _python(plan, token_signer, token_text, set(serials))
    ours, theirs = median(page["times"]), median(python)
    row = SPECS[0].row(
        ours,
        f"{ours:.2f} ms",
        f"Python verifier: {theirs:.3f} ms (same token, same run)",
        {
            "page_median_ms": ours,
            "page_batch_mean_ms": page["batch_ms"],
            "python_median_ms": theirs,
        },
        note=(
            f"mean of a batch of {plan.officer_rounds}: {page['batch_ms']:.2f} ms; "
            "performance.now() in Chromium has 0.1 ms resolution"
        ),
    )
    return row, {"document": document}


def _size_row(document: str) -> Row:
    serials = _serials(LISTED)
    ours = len(gzip.compress(document.encode("ascii"), 9))
    plain = json.dumps(
        {"revoked": sorted(serials[:2_000]), "superseded": sorted(serials[2_000:])},
        separators=(",", ":"),
    )
    baseline = len(gzip.compress(plain.encode("ascii"), 9))
    return SPECS[1].row(
        float(ours),
        f"{ours:,} B gzipped ({len(document):,} B raw)",
        f"plain JSON array of the same serials: {baseline:,} B gzipped",
        {
            "gzip_bytes": float(ours),
            "raw_bytes": float(len(document)),
            "plain_json_gzip_bytes": float(baseline),
        },
    )


def _generate_row(plan: Plan, service: LocalService) -> Row:
    from chalicelib.adapters.dynamodb import items
    from chalicelib.domain.lifecycle import Status
    from chalicelib.services.ports import StatusEntry
    from chalicelib.wiring import Container

    container = Container(service.settings, dynamodb=service.client)
    valid_to = datetime.now(UTC).date() + timedelta(days=200)
    serials = _serials(plan.status_entries, seed=7)
    batch: list[dict[str, Any]] = []
    for serial in serials:
        status = Status.REVOKED if serial % 5 else Status.SUPERSEDED
        entry = items.permit_status_entry_item(StatusEntry(serial, status, valid_to))
        batch.append({"PutRequest": {"Item": entry}})
        if len(batch) == 25:
            service.client.batch_write_item(RequestItems={service.table_name: batch})
            batch = []
    if batch:
        service.client.batch_write_item(RequestItems={service.table_name: batch})
    service_times, bare_times = [], []
    signer = container.status_signer
    document = ""
    for _ in range(plan.status_rounds):
        started = time.perf_counter()
        stored = container.status_list.regenerate()
        service_times.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        document = _list_document(signer, serials)  # type: ignore[arg-type]
        bare_times.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    container.status_list_store.list_permit_status_entries()
    query_ms = (time.perf_counter() - started) * 1000
    listed = container.status_list.read(stored.document)
    if len(listed.revoked) + len(listed.superseded) != len(serials):
        raise RuntimeError("the regenerated list lost entries")
    ours, bare = median(service_times), median(bare_times)
    return SPECS[2].row(
        ours,
        f"{ours:,.0f} ms for {len(serials):,} entries",
        f"encode + sign without DynamoDB: {bare:,.1f} ms",
        {"regenerate_ms": ours, "encode_sign_ms": bare, "query_ms": query_ms},
        note=(
            f"of which the Query of the partition through moto: {query_ms:,.0f} ms "
            f"(moto, not DynamoDB, is the slow part); list {len(document):,} B"
        ),
    )


def _page_size_row() -> Row:
    from chalicelib.web import officer

    page = officer.page_html().encode("utf-8")
    _, script = officer.asset("officer/app.js")
    _, decoder = officer.asset("officer/jsqr.js")
    total = len(page) + len(script)
    zipped = len(gzip.compress(page, 9)) + len(gzip.compress(script, 9))
    return SPECS[3].row(
        float(total),
        f"{total:,} B ({zipped:,} B gzipped)",
        f"page {len(page):,} B + script {len(script):,} B",
        {"bytes": float(total), "gzip_bytes": float(zipped), "decoder_bytes": float(len(decoder))},
        note=(
            f"QR decoder (jsQR, loaded only when scanning without BarcodeDetector): "
            f"{len(decoder):,} B, {len(gzip.compress(decoder, 9)):,} B gzipped"
        ),
    )


def run(plan: Plan, service: LocalService) -> list[Row]:
    rows: list[Row] = []
    try:
        verify_row, extra = _verify_row(plan)
        rows += [verify_row, _size_row(extra["document"])]
    except Exception as error:  # e.g. no Chromium: the size still counts, from Python
        reason = f"{type(error).__name__}: {error}".splitlines()[0][:300]
        rows.append(SPECS[0].error(reason))
        rows.append(_size_row(_list_document(_Signer(1), _serials(LISTED))))
    rows.append(_generate_row(plan, service))
    rows.append(_page_size_row())
    return rows
