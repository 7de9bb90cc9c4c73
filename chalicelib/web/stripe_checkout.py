"""The Stripe payment page: the service's own page around one PaymentIntent.

Two bodies, one look (the sandbox page's styles, German first, English for ``en``):

- **Stripe** (any stage with real keys): Stripe's Payment Element. Stripe.js comes from
  ``https://js.stripe.com/v3/`` (Stripe requires loading it from there), the card fields
  live in Stripe's iframes, and ``stripe.confirmPayment`` sends the citizen back to the
  status page. The client secret is in the page (``data-`` attribute), never in a URL; the
  page is ``no-store`` and sends no referrer. The small inline script is allowed by its hash.
  This body needs the network to Stripe and is **not exercised by the test suite** (which
  has none); its HTML and headers are.
- **Emulator** (stages ``local``/``test`` with localstripe): a plain form for a test card
  (4242 4242 4242 4242), posted to this service, which confirms the PaymentIntent through
  the SDK. No script at all. Never offered against Stripe itself: card numbers must not
  reach this service (PCI DSS).

Every interpolated value is HTML-escaped.
"""

from __future__ import annotations

import base64
import hashlib
import html
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from chalicelib.web.sandbox_checkout import _page, format_amount, is_english

if TYPE_CHECKING:
    from chalicelib.adapters.payments.stripe_provider import StripeIntent

__all__ = [
    "TEST_CARD",
    "render_emulator_page",
    "render_stripe_page",
    "stripe_page_headers",
]

TEST_CARD = "4242 4242 4242 4242"

_TEXT: dict[str, dict[str, str]] = {
    "de": {
        "title": "Bezahlen",
        "heading": "Gebühr bezahlen",
        "purpose": "Verwendungszweck",
        "reference": "Kassenzeichen",
        "amount": "Betrag",
        "pay": "Jetzt bezahlen",
        "back": "Zurück ohne zu bezahlen",
        "emulator": "TEST-ZAHLUNG mit dem Stripe-Emulator – es wird kein echtes Geld bewegt",
        "emulator_en": "test payment, no real money",
        "card": "Kartennummer",
        "card_hint": f"Testkarte: {TEST_CARD}",
        "expiry": "Gültig bis (MM/JJ)",
        "expiry_hint": "Ein Datum in der Zukunft, z. B. 12/34",
        "cvc": "Prüfnummer (CVC)",
        "cvc_hint": "Drei Ziffern, z. B. 123",
        "error_title": "Es gibt ein Problem",
        "card_invalid": "Geben Sie eine Kartennummer mit 16 Ziffern ein.",
        "expiry_invalid": "Geben Sie das Ablaufdatum als MM/JJ ein, z. B. 12/34.",
        "cvc_invalid": "Geben Sie die dreistellige Prüfnummer ein.",
        "declined": "Die Karte wurde abgelehnt. Es wurde nichts abgebucht.",
        "needs_action": "Diese Testkarte verlangt eine Bestätigung (3-D Secure), die der "
        "Emulator hier nicht anbietet. Nehmen Sie die Testkarte 4242 4242 4242 4242.",
        "secure": "Die Kartendaten gehen direkt an Stripe, nicht an die Stadt.",
        "noscript": "Zum Bezahlen mit Karte wird JavaScript benötigt.",
        "loading": "Zahlungsformular wird geladen …",
    },
    "en": {
        "title": "Pay",
        "heading": "Pay the fee",
        "purpose": "Purpose",
        "reference": "Payment reference",
        "amount": "Amount",
        "pay": "Pay now",
        "back": "Back without paying",
        "emulator": "TEST PAYMENT with the Stripe emulator – no real money is moved",
        "emulator_en": "",
        "card": "Card number",
        "card_hint": f"Test card: {TEST_CARD}",
        "expiry": "Expiry date (MM/YY)",
        "expiry_hint": "A date in the future, e.g. 12/34",
        "cvc": "Security code (CVC)",
        "cvc_hint": "Three digits, e.g. 123",
        "error_title": "There is a problem",
        "card_invalid": "Enter a card number of 16 digits.",
        "expiry_invalid": "Enter the expiry date as MM/YY, e.g. 12/34.",
        "cvc_invalid": "Enter the three-digit security code.",
        "declined": "The card was declined. Nothing was charged.",
        "needs_action": "This test card asks for a confirmation (3-D Secure) that the "
        "emulator does not offer here. Use the test card 4242 4242 4242 4242.",
        "secure": "Your card details go straight to Stripe, not to the city.",
        "noscript": "Paying by card needs JavaScript.",
        "loading": "Loading the payment form …",
    },
}

_EXTRA_CSS = """
label{display:block;font-weight:600;margin:1rem 0 .25rem}
.hint{display:block;font-size:.9375rem;color:#3a3a3a;margin:0 0 .25rem}
input{display:block;width:100%;min-height:3rem;padding:.5rem .75rem;font:inherit;
border:2px solid #1a1a1a;border-radius:.25rem}
input:focus-visible{outline:3px solid #0b5cad;outline-offset:2px}
.field-error{color:#b00020;font-weight:600;margin:.25rem 0 0}
.error-summary{border:3px solid #b00020;padding:1rem;margin:0 0 1rem;background:#fff}
.error-summary h2{font-size:1.25rem;margin:0 0 .5rem}
.pay{margin-top:1.25rem}
#payment-element{min-height:3rem;margin:1rem 0}
"""

# Mounts Stripe's Payment Element; everything it needs comes from the form's data- attributes.
_STRIPE_SCRIPT = (
    "(function(){var f=document.getElementById('payment-form'),d=f.dataset,"
    "s=Stripe(d.key,{locale:d.lang}),e=s.elements({clientSecret:d.secret,locale:d.lang}),"
    "m=document.getElementById('payment-message');e.create('payment').mount('#payment-element');"
    "f.addEventListener('submit',function(ev){ev.preventDefault();f.querySelector('button')"
    ".disabled=true;s.confirmPayment({elements:e,confirmParams:{return_url:d.returnUrl}})"
    ".then(function(r){if(r.error){m.textContent=r.error.message;"
    "f.querySelector('button').disabled=false;}});});})();"
)
_STRIPE_SCRIPT_HASH = (
    "sha256-" + base64.b64encode(hashlib.sha256(_STRIPE_SCRIPT.encode()).digest()).decode()
)


def _texts(lang: str | None) -> tuple[str, dict[str, str]]:
    code = "en" if is_english(lang) else "de"
    return code, _TEXT[code]


def _summary(intent: StripeIntent, t: dict[str, str]) -> str:
    e = html.escape
    return (
        f"<h1>{e(t['heading'])}</h1>\n<dl>\n"
        f"<dt>{e(t['purpose'])}</dt><dd>{e(intent.description)}</dd>\n"
        f"<dt>{e(t['reference'])}</dt><dd>{e(intent.reference)}</dd>\n"
        f'<dt>{e(t["amount"])}</dt><dd class="amount">'
        f"{e(format_amount(intent.amount_cents, intent.currency))}</dd>\n</dl>\n"
    )


def _with_css(page: str) -> str:
    return page.replace("</style>", _EXTRA_CSS + "</style>", 1)


def render_emulator_page(
    intent: StripeIntent,
    session_token: str,
    return_url: str,
    lang: str | None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> str:
    """The test-card form (emulator only); ``errors`` maps field -> text key, ``values`` refills.

    The card number is never refilled after an error, the expiry is.
    """
    e = html.escape
    code, t = _texts(lang)
    errors = errors or {}
    values = values or {}
    english = f' (<span lang="en">{e(t["emulator_en"])}</span>)' if t["emulator_en"] else ""
    body = f'<p class="banner" role="note"><strong>{e(t["emulator"])}</strong>{english}</p>\n'
    body += '<div class="card">\n'
    if errors:
        items = "".join(
            f'<li><a href="#{e(field)}">{e(t[key])}</a></li>'
            if field != "form"
            else f"<li>{e(t[key])}</li>"
            for field, key in errors.items()
        )
        body += (
            '<div class="error-summary" role="alert" tabindex="-1" id="errors">'
            f"<h2>{e(t['error_title'])}</h2><ul>{items}</ul></div>\n"
        )
    body += _summary(intent, t)
    body += f'<form method="post" action="{e(quote(session_token, safe=""))}/pay" novalidate>\n'
    fields = (
        ("card", "card", "cc-number", "numeric", t["card_hint"], ""),
        ("expiry", "expiry", "cc-exp", "numeric", t["expiry_hint"], values.get("expiry", "")),
        ("cvc", "cvc", "cc-csc", "numeric", t["cvc_hint"], ""),
    )
    for name, label, autocomplete, inputmode, hint, value in fields:
        described = f"{name}-hint" + (f" {name}-error" if name in errors else "")
        invalid = ' aria-invalid="true"' if name in errors else ""
        body += (
            f'<label for="{name}">{e(t[label])}</label>'
            f'<span class="hint" id="{name}-hint">{e(hint)}</span>'
        )
        if name in errors:
            body += f'<p class="field-error" id="{name}-error">{e(t[errors[name]])}</p>'
        body += (
            f'<input id="{name}" name="{name}" type="text" autocomplete="{autocomplete}" '
            f'inputmode="{inputmode}" aria-describedby="{described}"{invalid} '
            f'value="{e(value)}">\n'
        )
    body += f'<button type="submit" class="pay">{e(t["pay"])}</button>\n</form>\n'
    body += f'<a class="back" href="{e(return_url)}">{e(t["back"])}</a>\n</div>\n'
    amount = format_amount(intent.amount_cents, intent.currency)
    return _with_css(_page(code, f"{t['title']} \u2013 {amount}", body))


def render_stripe_page(
    intent: StripeIntent, publishable_key: str, return_url: str, lang: str | None
) -> str:
    """The Payment Element page (real Stripe): Stripe.js collects and confirms the card."""
    e = html.escape
    code, t = _texts(lang)
    body = '<div class="card">\n' + _summary(intent, t)
    body += (
        f'<form id="payment-form" data-key="{e(publishable_key)}" '
        f'data-secret="{e(intent.client_secret)}" data-return-url="{e(return_url)}" '
        f'data-lang="{code}">\n'
        f'<div id="payment-element"><p>{e(t["loading"])}</p>'
        f"<noscript><p>{e(t['noscript'])}</p></noscript></div>\n"
        f'<button type="submit" class="pay">{e(t["pay"])}</button>\n'
        '<p id="payment-message" role="alert"></p>\n</form>\n'
        f'<p class="note">{e(t["secure"])}</p>\n'
        f'<a class="back" href="{e(return_url)}">{e(t["back"])}</a>\n</div>\n'
        '<script src="https://js.stripe.com/v3/"></script>\n'
        f"<script>{_STRIPE_SCRIPT}</script>\n"
    )
    amount = format_amount(intent.amount_cents, intent.currency)
    return _with_css(_page(code, f"{t['title']} \u2013 {amount}", body))


def stripe_page_headers(return_url: str, *, with_stripe_js: bool) -> dict[str, str]:
    """CSP, no referrer (the URL holds the session token), no caching (state changes)."""
    parts = urlsplit(return_url)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else ""
    if with_stripe_js:
        policy = (
            "default-src 'none'; style-src 'unsafe-inline'; "
            f"script-src https://js.stripe.com '{_STRIPE_SCRIPT_HASH}'; "
            "frame-src https://js.stripe.com https://hooks.stripe.com; "
            "connect-src https://api.stripe.com; img-src https://*.stripe.com; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        )
    else:
        policy = (
            "default-src 'none'; style-src 'unsafe-inline'; "
            f"form-action 'self' {origin}; frame-ancestors 'none'; base-uri 'none'"
        )
    return {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": policy,
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
