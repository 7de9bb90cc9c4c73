"""The sandbox checkout page: what a citizen sees instead of a real payment provider.

Plain HTML with inline CSS and no script or external asset, so it works on any phone, needs
no build step and can run under a strict Content-Security-Policy (see
:func:`checkout_page_headers`). German by default, English when the language starts with
``en``. Every interpolated value is HTML-escaped.

The routes (``chalicelib/web/routes/sandbox.py``)::

    GET  /sandbox/checkout/{session}
        provider.open_session(session)        SandboxSessionExpiredError -> 410 + result page
                                              SandboxSessionError        -> 400 + result page
        application no longer payable         -> 410 + result page "not_payable"
        200 render_checkout_page(session, token, lang), headers checkout_page_headers(...)

    POST /sandbox/checkout/{session}/pay
        s = provider.open_session(session)    (same errors as above, nothing sent)
        headers, body = provider.build_webhook(s, "succeeded")
        result = WebhookDelivery(provider.webhook_url).deliver(headers, body)
        delivered     -> 303 See Other, Location: s.return_url
        not delivered -> 502 + render_result_page("delivery_failed", lang, s.return_url)

    POST /sandbox/checkout/{session}/cancel
        s = provider.open_session(session)
        303 See Other, Location: s.return_url    (nothing is sent: an abandoned checkout
                                                  simply stays AWAITING_PAYMENT)

The routes need ``content_types=["application/x-www-form-urlencoded"]`` for the POSTs
(Chalice answers 415 otherwise); the forms carry no fields, the token in the path is the
capability. Pressing Pay twice sends the same event id twice, which the webhook endpoint
dedupes. The redirect to ``return_url`` proves nothing to the service: the return page must
show the application's status as the server knows it (it may still be "awaiting payment"
for a moment), never assume success.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote, urlsplit

from chalicelib.domain.payment_reference import payment_reference

if TYPE_CHECKING:
    from chalicelib.adapters.payments.sandbox import SandboxSession

__all__ = [
    "ResultKind",
    "checkout_page_headers",
    "format_amount",
    "is_english",
    "render_checkout_page",
    "render_result_page",
]

# Host[:port] only: anything else must not reach a CSP header (";" would add a directive).
_NETLOC_RE = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")

ResultKind = Literal[
    "payment_failed", "delivery_failed", "session_invalid", "session_expired", "not_payable"
]

_TEXT: dict[str, dict[str, str]] = {
    "de": {
        "title": "Test-Zahlung",
        "banner_strong": "TEST-ZAHLUNG / Sandbox",
        "banner_rest": "Es wird kein echtes Geld bewegt",
        # English on the German page too: a visitor who reads no German must still see it.
        "banner_en": "no real money",
        "heading": "Zahlung bestätigen",
        "purpose": "Verwendungszweck",
        "reference": "Antrag",
        "payment_reference": "Kassenzeichen",
        "amount": "Betrag",
        "pay": "Bezahlen",
        "cancel": "Abbrechen",
        "explain": (
            "Dies ist die Test-Zahlungsseite des Dienstes. „Bezahlen“ meldet dem Dienst eine "
            "erfolgreiche Zahlung so, wie es ein echter Zahlungsanbieter tun würde."
        ),
        "back": "Zurück zum Antrag",
        "payment_failed_title": "Zahlung fehlgeschlagen",
        "payment_failed_text": "Die Zahlung wurde nicht ausgeführt. Es wurde nichts abgebucht.",
        "delivery_failed_title": "Zahlungsbestätigung nicht zugestellt",
        "delivery_failed_text": (
            "Die Test-Zahlung konnte dem Dienst gerade nicht gemeldet werden. Bitte versuchen "
            "Sie es in einigen Minuten erneut; eine doppelte Meldung schadet nicht."
        ),
        "session_invalid_title": "Ungültiger Zahlungslink",
        "session_invalid_text": (
            "Dieser Zahlungslink ist ungültig. Bitte starten Sie die Zahlung erneut über "
            "Ihren Antrag."
        ),
        "session_expired_title": "Zahlungslink abgelaufen",
        "session_expired_text": (
            "Dieser Zahlungslink ist abgelaufen. Bitte starten Sie die Zahlung erneut über "
            "Ihren Antrag."
        ),
        "not_payable_title": "Antrag kann nicht mehr bezahlt werden",
        "not_payable_text": (
            "Dieser Antrag kann nicht mehr bezahlt werden: Er ist bereits bezahlt, storniert "
            "oder die Zahlungsfrist ist abgelaufen. Es wurde nichts abgebucht."
        ),
    },
    "en": {
        "title": "Test payment",
        "banner_strong": "TEST PAYMENT / Sandbox",
        "banner_rest": "No real money is moved.",
        "banner_en": "",
        "heading": "Confirm payment",
        "purpose": "Purpose",
        "reference": "Application",
        "payment_reference": "Payment reference",
        "amount": "Amount",
        "pay": "Pay",
        "cancel": "Cancel",
        "explain": (
            "This is the service's test payment page. \u201cPay\u201d reports a successful "
            "payment to the service exactly as a real payment provider would."
        ),
        "back": "Back to the application",
        "payment_failed_title": "Payment failed",
        "payment_failed_text": "The payment was not made. Nothing was charged.",
        "delivery_failed_title": "Payment confirmation not delivered",
        "delivery_failed_text": (
            "The test payment could not be reported to the service just now. Please try "
            "again in a few minutes; reporting it twice does no harm."
        ),
        "session_invalid_title": "Invalid payment link",
        "session_invalid_text": (
            "This payment link is not valid. Please start the payment again from your application."
        ),
        "session_expired_title": "Payment link expired",
        "session_expired_text": (
            "This payment link has expired. Please start the payment again from your application."
        ),
        "not_payable_title": "This application can no longer be paid",
        "not_payable_text": (
            "This application can no longer be paid: it is paid already, cancelled, or its "
            "payment period has ended. Nothing was charged."
        ),
    },
}

# Contrast: every text/background pair is at least 7:1 (WCAG AAA) except the button
# text (white on #0b5cad, 6.6:1, AA for any size). Targets are at least 48 px high.
_CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
font-size:1.0625rem;line-height:1.5;color:#1a1a1a;background:#f4f4f4}
main{max-width:32rem;margin:0 auto;padding:1rem}
.banner{margin:0 0 1rem;padding:.75rem 1rem;border:3px dashed #7a4a00;background:#fff4d6;
color:#3d2600}
.card{background:#fff;border:1px solid #c8c8c8;border-radius:.5rem;padding:1.25rem}
h1{font-size:1.5rem;margin:0 0 1rem}
dl{margin:0 0 1.25rem}
dt{font-weight:600;color:#3a3a3a}
dd{margin:0 0 .75rem;overflow-wrap:anywhere}
.amount{font-size:1.75rem;font-weight:700;white-space:nowrap}
.actions{display:flex;flex-wrap:wrap;gap:.75rem}
.actions form{flex:1 1 10rem;margin:0}
button,.back{display:block;width:100%;min-height:3rem;padding:.75rem 1rem;font:inherit;
font-weight:600;border-radius:.375rem;cursor:pointer;text-align:center;text-decoration:none}
.pay{background:#0b5cad;color:#fff;border:2px solid #0b5cad}
.cancel{background:#fff;color:#1a1a1a;border:2px solid #5a5a5a}
.back{background:#fff;color:#0b3d91;border:2px solid #0b3d91;margin-top:1rem}
button:focus-visible,.back:focus-visible{outline:3px solid #1a1a1a;outline-offset:3px}
.note{font-size:.9375rem;color:#3a3a3a;margin:1rem 0 0}
"""


def is_english(lang: str | None) -> bool:
    """English when the (Accept-Language style) value starts with ``en``; German otherwise."""
    return bool(lang) and str(lang).strip().lower().startswith("en")


def _texts(lang: str | None) -> tuple[str, dict[str, str]]:
    code = "en" if is_english(lang) else "de"
    return code, _TEXT[code]


def format_amount(amount_cents: int, currency: str = "EUR") -> str:
    """German formatting from integer cents: ``3000 -> "30,00 €"``, ``123456 -> "1.234,56 €"``.

    Integer arithmetic only: a float would round 0.29 * 100 to 28.999... somewhere.
    """
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise TypeError("amount_cents must be an integer")
    sign = "-" if amount_cents < 0 else ""
    euros, cents = divmod(abs(amount_cents), 100)
    grouped = f"{euros:,}".replace(",", ".")
    symbol = "€" if currency == "EUR" else currency
    return f"{sign}{grouped},{cents:02d} {symbol}"


def _page(lang_code: str, title: str, body: str) -> str:
    e = html.escape
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang_code}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"{body}</main>\n</body>\n</html>\n"
    )


def _banner(t: dict[str, str]) -> str:
    e = html.escape
    english = f' (<span lang="en">{e(t["banner_en"])}</span>).' if t["banner_en"] else ""
    return (
        f'<p class="banner" role="note"><strong>{e(t["banner_strong"])}</strong> — '
        f"{e(t['banner_rest'])}{english}</p>\n"
    )


def render_checkout_page(session: SandboxSession, session_token: str, lang: str) -> str:
    """The Pay/Cancel page for one verified session.

    The form actions are relative (``<token>/pay``): the page lives at
    ``.../sandbox/checkout/<token>``, so they resolve under whatever prefix the service is
    mounted at (an API Gateway stage, for example).
    """
    e = html.escape
    code, t = _texts(lang)
    # The token is URL-safe already; quoting keeps a hand-made one from breaking the URL.
    segment = quote(session_token, safe="")
    body = (
        _banner(t)
        + '<div class="card">\n'
        + f"<h1>{e(t['heading'])}</h1>\n<dl>\n"
        + f"<dt>{e(t['purpose'])}</dt><dd>{e(session.description)}</dd>\n"
        + f"<dt>{e(t['reference'])}</dt><dd>{e(session.application_id)}</dd>\n"
        + f"<dt>{e(t['payment_reference'])}</dt>"
        + f'<dd id="payment-reference">{e(payment_reference(session.application_id))}</dd>\n'
        + f'<dt>{e(t["amount"])}</dt><dd class="amount">'
        + f"{e(format_amount(session.amount_cents, session.currency))}</dd>\n"
        + "</dl>\n"
        + '<div class="actions">\n'
        + f'<form method="post" action="{e(segment)}/pay">'
        + f'<button type="submit" class="pay">{e(t["pay"])}</button></form>\n'
        + f'<form method="post" action="{e(segment)}/cancel">'
        + f'<button type="submit" class="cancel">{e(t["cancel"])}</button></form>\n'
        + "</div>\n"
        + f'<p class="note">{e(t["explain"])}</p>\n'
        + "</div>\n"
    )
    amount = format_amount(session.amount_cents, session.currency)
    return _page(code, f"{t['title']} \u2013 {amount}", body)


def render_result_page(kind: ResultKind, lang: str, return_url: str | None = None) -> str:
    """A short outcome page (failed payment, failed delivery, bad or expired link).

    ``return_url`` (from a verified session only) adds a "back to the application" link;
    anything but an http(s) URL is dropped rather than linked.
    """
    e = html.escape
    code, t = _texts(lang)
    title = t[f"{kind}_title"]
    body = (
        _banner(t)
        + '<div class="card">\n'
        + f"<h1>{e(title)}</h1>\n"
        + f"<p>{e(t[f'{kind}_text'])}</p>\n"
    )
    if return_url and urlsplit(return_url).scheme in ("http", "https"):
        body += f'<a class="back" href="{e(return_url)}">{e(t["back"])}</a>\n'
    body += "</div>\n"
    return _page(code, title, body)


def checkout_page_headers(return_url: str | None = None) -> dict[str, str]:
    """Response headers for these pages.

    - CSP without scripts; ``form-action`` allows the return URL's origin too, because
      browsers apply it to the redirect that follows the form POST.
    - ``no-referrer``: the page URL holds the session token; it must not leak to the next site.
    - ``no-store``: a checkout page in the back/forward cache would show stale state.
    """
    form_action = "'self'"
    if return_url:
        parts = urlsplit(return_url)
        if parts.scheme in ("http", "https") and _NETLOC_RE.fullmatch(parts.netloc):
            form_action += f" {parts.scheme}://{parts.netloc}"
    return {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": (
            "default-src 'none'; style-src 'unsafe-inline'; "
            f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
        ),
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
