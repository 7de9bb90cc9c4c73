"""Rows 10a-d: the citizen's pages (issue 10), each against a baseline from the same run.

- 10a: server render of a question page (the whole handler via ``app.app(event, context)``,
  no draft, so no DynamoDB call), median, vs the JSON route that returns the same form's
  schema (same handler stack, no template).
- 10b: the largest HTML page of every form (services, start, every question page), vs the
  services page.
- 10c: CSS and fonts cached immutably: every asset the pages link answers ``immutable``,
  vs the pages themselves (``no-store``, they carry personal data).
- 10d: the first question page on Chromium's "Slow 3G" profile (CDP network emulation:
  2 s latency per request, 50 KB/s down), cold cache: first contentful paint with the
  stylesheet applied. Baseline: the same page linking KERN's whole stylesheet and every
  Fira Sans face (the integration KERN's README describes). The responses come from the
  app in-process and are served by a local HTTP server, so only the network is emulated.
"""

from __future__ import annotations

import http.server
import re
import threading
import time
from typing import Any

from bench.lambda_events import LambdaContext, rest_event
from bench.local_service import LocalService
from bench.plan import Plan
from bench.rows import Row, Spec, Target
from bench.stats import median

__all__ = ["SPECS", "run"]

SPECS = (
    Spec("10a-render", "question page server render (median)", Target("<=", 5.0, " ms")),
    Spec("10b-html", "largest HTML page", Target("<=", 30.0, " KB")),
    Spec("10c-cache", "assets cached immutably (share of CSS/font files)", Target(">=", 1.0)),
    Spec("10d-slow3g", "first page usable on Slow 3G (FCP, cold cache)", Target("<=", 3000, " ms")),
)
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
SLOW_3G = {
    "offline": False,
    "latency": 2000,
    "downloadThroughput": 50_000,
    "uploadThroughput": 50_000,
}


def _get(app: Any, resource: str, params: dict[str, str] | None = None) -> dict[str, Any]:
    event = rest_event("GET", resource, params, {"Accept": "text/html,*/*;q=0.8"})
    response: dict[str, Any] = app(event, LambdaContext())
    return response


def _body(response: dict[str, Any]) -> bytes:
    import base64

    body = response["body"]
    if response.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def run(plan: Plan, service: LocalService) -> list[Row]:
    with service.wired_app() as (app_module, container):
        app = app_module.app
        form = next(iter(container.registry.load_all().values()))
        from chalicelib.web.questions.model import form_model

        model = form_model(form)
        first = model.pages[0].id
        page_params = {"form_id": form.id, "page_id": first}
        rounds = max(plan.endpoint_rounds // 5, 2)
        for _ in range(plan.warmup):
            _get(app, "/forms/{form_id}/{page_id}", page_params)
            _get(app, "/api/forms/{form_id}", {"form_id": form.id})
        pages, json_route = [], []
        for index in range(rounds):
            order = (0, 1) if index % 2 == 0 else (1, 0)
            for which in order:
                start = time.perf_counter()
                if which == 0:
                    _get(app, "/forms/{form_id}/{page_id}", page_params)
                    pages.append((time.perf_counter() - start) * 1000)
                else:
                    _get(app, "/api/forms/{form_id}", {"form_id": form.id})
                    json_route.append((time.perf_counter() - start) * 1000)
        render = SPECS[0].row(
            median(pages),
            f"{median(pages):.2f} ms",
            f"JSON schema route {median(json_route):.2f} ms",
            {"page_ms": median(pages), "json_ms": median(json_route)},
        )

        sizes: dict[str, int] = {"/": len(_body(_get(app, "/")))}
        for f in container.registry.load_all().values():
            sizes[f"/forms/{f.id}"] = len(_body(_get(app, "/forms/{form_id}", {"form_id": f.id})))
            for p in form_model(f).pages:
                params = {"form_id": f.id, "page_id": p.id}
                sizes[f"/forms/{f.id}/{p.id}"] = len(
                    _body(_get(app, "/forms/{form_id}/{page_id}", params))
                )
        largest = max(sizes, key=lambda k: sizes[k])
        html = SPECS[1].row(
            sizes[largest] / 1024,
            f"{sizes[largest] / 1024:.1f} KB ({largest})",
            f"services page {sizes['/'] / 1024:.1f} KB",
            {"pages": len(sizes)},
        )

        page_response = _get(app, "/forms/{form_id}/{page_id}", page_params)
        page_html = _body(page_response).decode("utf-8")
        files: dict[str, tuple[bytes, str]] = {}
        immutable = 0
        css_name = re.search(r'href="/assets/([^"]+\.css)"', page_html)
        assert css_name, "the page links no stylesheet"
        names = [css_name.group(1)]
        css_response = _get(app, "/assets/{name}", {"name": names[0]})
        css = _body(css_response)
        names += re.findall(r"url\('([^']+\.woff2)'\)", css.decode("utf-8"))
        for name in names:
            response = _get(app, "/assets/{name}", {"name": name})
            files[f"/assets/{name}"] = (_body(response), response["headers"]["Content-Type"])
            if "immutable" in response["headers"].get("Cache-Control", ""):
                immutable += 1
        cache = SPECS[2].row(
            immutable / len(names),
            f"{immutable}/{len(names)} files immutable",
            f"pages: {page_response['headers'].get('Cache-Control')}",
        )
    slow = _slow_3g(page_html, files, plan)
    return [render, html, cache, slow]


def _baseline_page(page_html: str, files: dict[str, tuple[bytes, str]]) -> str:
    """The same page linking KERN's whole CSS and every Fira Sans face, as its README says."""
    from scripts.build_assets import KERN

    files["/kern/kern.min.css"] = ((KERN / "dist/kern.min.css").read_bytes(), "text/css")
    fonts_css = (KERN / "dist/fonts/fira-sans.css").read_text(encoding="utf-8")
    files["/kern/fonts/fira-sans.css"] = (fonts_css.encode(), "text/css")
    for font in re.findall(r'url\("\./(fira-sans/[^"]+)"\)', fonts_css):
        files[f"/kern/fonts/{font}"] = ((KERN / "dist/fonts" / font).read_bytes(), "font/woff2")
    links = '<link rel="stylesheet" href="/kern/kern.min.css"><link rel="stylesheet" href="/kern/fonts/fira-sans.css">'
    return re.sub(r'<link rel="stylesheet" href="[^"]+">', links, page_html)


def _slow_3g(page_html: str, files: dict[str, tuple[bytes, str]], plan: Plan) -> Row:
    from tests.e2e.browser import find_chromium

    chromium = find_chromium()
    if chromium is None:
        return SPECS[3].skipped("Chromium is not installed")
    served = dict(files)
    served["/page"] = (page_html.encode(), "text/html; charset=utf-8")
    served["/baseline"] = (_baseline_page(page_html, served).encode(), "text/html; charset=utf-8")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body, kind = served.get(self.path.split("?")[0], (b"", "text/plain"))
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        runs = 1 if plan.quick else 3
        ours = [_fcp(chromium, f"{base}/page") for _ in range(runs)]
        baseline = [_fcp(chromium, f"{base}/baseline") for _ in range(runs)]
    finally:
        server.shutdown()
        server.server_close()
    return SPECS[3].row(
        median(ours),
        f"{median(ours):.0f} ms",
        f"whole KERN CSS + all fonts {median(baseline):.0f} ms",
        {"ours_ms": median(ours), "baseline_ms": median(baseline)},
        note="Slow 3G adds 2 s to every request: a page needing a second request cannot paint within 3 s",
    )


def _fcp(chromium: str, url: str) -> float:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        try:
            context = browser.new_context()
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            cdp.send("Network.emulateNetworkConditions", SLOW_3G)
            page.goto(url, wait_until="load", timeout=120_000)
            fcp: float = page.evaluate(
                "() => { const e = performance.getEntriesByName('first-contentful-paint')[0];"
                " return e ? e.startTime : performance.timing.loadEventEnd - performance.timing.navigationStart; }"
            )
            return fcp
        finally:
            browser.close()
