"""The Stripe payment page (``/checkout/stripe/{session}``): ours, around one PaymentIntent.

GET shows the page (Stripe's Payment Element, or the test-card form against the emulator);
POST ``.../pay`` exists against the emulator only and confirms the PaymentIntent with a test
card through the SDK. Either way the permit is issued by the signed webhook (or the
reconciliation job), never by this page or the redirect that follows it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from chalice.app import Blueprint, Response

from chalicelib.web.context import accept_language, container, guarded, raw_body
from chalicelib.web.responses import html_response

if TYPE_CHECKING:
    from chalicelib.adapters.payments.stripe_provider import (
        StripeCheckoutSession,
        StripeIntent,
        StripeProvider,
    )

__all__ = ["bp"]

bp = Blueprint(__name__)

_FORM_POST = ["application/x-www-form-urlencoded"]
_MAX_FORM_BYTES = 4096
_EXPIRY = re.compile(r"(0[1-9]|1[0-2])\s*/\s*([0-9]{2})")
#: The intent is paid or being paid: the page has nothing left to do, back to the status.
_DONE = frozenset({"succeeded", "processing", "requires_capture"})


def _provider() -> StripeProvider | None:
    from chalicelib.adapters.payments.stripe_provider import StripeProvider

    provider = container().payment_provider
    return provider if isinstance(provider, StripeProvider) else None


def _open(session: str) -> tuple[StripeProvider, StripeCheckoutSession, StripeIntent] | Response:
    """The provider, verified session and its PaymentIntent, or a ready error page."""
    from chalicelib.adapters.payments.stripe_provider import (
        StripeSessionError,
        StripeSessionExpiredError,
    )
    from chalicelib.domain.errors import NotFoundError
    from chalicelib.web.sandbox_checkout import render_result_page

    lang = accept_language() or "de"
    provider = _provider()
    if provider is None:
        raise NotFoundError("no Stripe checkout in this stage")
    try:
        opened = provider.open_session(session)
        intent = provider.intent(opened)
    except StripeSessionExpiredError:
        return html_response(render_result_page("session_expired", lang), 410)
    except StripeSessionError:
        return html_response(render_result_page("session_invalid", lang), 400)
    if intent.status == "canceled":
        page = render_result_page("session_expired", lang, opened.return_url)
        return html_response(page, 410)
    return provider, opened, intent


def _back(return_url: str) -> Response:
    return Response(body="", status_code=303, headers={"Location": return_url})


@bp.route("/checkout/stripe/{session}", methods=["GET"])
@guarded
def stripe_checkout_page(session: str) -> Response:
    from chalicelib.web.stripe_checkout import (
        render_emulator_page,
        render_stripe_page,
        stripe_page_headers,
    )

    opened = _open(session)
    if isinstance(opened, Response):
        return opened
    provider, checkout, intent = opened
    if intent.status in _DONE:
        return _back(checkout.return_url)
    lang = accept_language()
    if provider.emulated:
        page = render_emulator_page(intent, session, checkout.return_url, lang)
    else:
        page = render_stripe_page(intent, provider.publishable_key, checkout.return_url, lang)
    headers = stripe_page_headers(checkout.return_url, with_stripe_js=not provider.emulated)
    return html_response(page, headers=headers)


@bp.route("/checkout/stripe/{session}/pay", methods=["POST"], content_types=_FORM_POST)
@guarded
def stripe_checkout_pay(session: str) -> Response:
    """Emulator only: confirm the PaymentIntent with the test card typed into the form."""
    from chalicelib.adapters.payments.stripe_provider import CardDeclinedError
    from chalicelib.domain.errors import NotFoundError
    from chalicelib.web.stripe_checkout import render_emulator_page, stripe_page_headers

    opened = _open(session)
    if isinstance(opened, Response):
        return opened
    provider, checkout, intent = opened
    if not provider.emulated:
        raise NotFoundError("card details are never posted to this service")
    if intent.status in _DONE:
        return _back(checkout.return_url)
    raw = raw_body()[:_MAX_FORM_BYTES].decode("utf-8", errors="replace")
    form = {key: values[0] for key, values in parse_qs(raw).items()}
    number = re.sub(r"[\s-]", "", form.get("card", ""))
    expiry = _EXPIRY.fullmatch(form.get("expiry", "").strip())
    cvc = form.get("cvc", "").strip()
    errors: dict[str, str] = {}
    if not re.fullmatch(r"[0-9]{16}", number):
        errors["card"] = "card_invalid"
    if expiry is None:
        errors["expiry"] = "expiry_invalid"
    if not re.fullmatch(r"[0-9]{3}", cvc):
        errors["cvc"] = "cvc_invalid"
    lang = accept_language()
    headers = stripe_page_headers(checkout.return_url, with_stripe_js=False)
    if errors or expiry is None:
        values = {"expiry": form.get("expiry", "")[:7]}
        page = render_emulator_page(intent, session, checkout.return_url, lang, errors, values)
        return html_response(page, 422, headers)
    try:
        status = provider.pay_with_test_card(
            checkout, number, int(expiry[1]), 2000 + int(expiry[2]), cvc
        )
    except CardDeclinedError:
        page = render_emulator_page(
            intent, session, checkout.return_url, lang, {"form": "declined"}
        )
        return html_response(page, 402, headers)
    if status not in _DONE:
        page = render_emulator_page(
            intent, session, checkout.return_url, lang, {"form": "needs_action"}
        )
        return html_response(page, 402, headers)
    return _back(checkout.return_url)
