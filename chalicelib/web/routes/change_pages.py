"""The citizen's plate change in the browser, from the status page (issue 15 item 3).

"Kennzeichen ändern": the form's own plate widget, then a confirmation page that says what
will happen (a new permit and QR, the old printout invalid, the fee), then the change: PRG
back to the status page, or on to the payment page when the form sets a change fee. The
confirmation carries the plates as hidden fields and is checked again on submit, so nothing
is stored before the citizen confirms. Also: paying a change that waits for its fee.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Response

from chalicelib.domain.errors import FieldConflictError, FieldError, ValidationFailedError
from chalicelib.web.change_forms import (
    after_change,
    fee_note,
    issued_app,
    one_page,
    render_change_form,
    render_confirm,
    to_document,
)
from chalicelib.web.pagekit import FORM_POST, PageKit, page_errors

if TYPE_CHECKING:
    from chalicelib.domain.forms import FormDefinition
    from chalicelib.domain.records import Application
    from chalicelib.web.questions.model import Page

__all__ = ["bp"]

bp = Blueprint(__name__)


# -- new plate ------------------------------------------------------------------------------


def _plates_page(kit: PageKit, form: FormDefinition) -> Page:
    return one_page(
        form, (form.permit.plates,), {"de": "Kennzeichen ändern", "en": "Change the plate"}
    )


def _posted_plates(form: FormDefinition, page: Page, posted_form: dict[str, list[str]]) -> Any:
    from chalicelib.web.questions.binding import bind_page

    posted = bind_page(page, posted_form)
    value = posted.values.get(form.permit.plates)
    plates = value if isinstance(value, list) else ([value] if value else [])
    return posted, plates


def _plates_form(
    kit: PageKit,
    app: Application,
    form: FormDefinition,
    page: Page,
    raw: dict[str, Any],
    errors: Sequence[FieldError] = (),
    status: int = 200,
) -> Response:
    return render_change_form(
        kit,
        app,
        form,
        page,
        heading=kit.t("change_plates"),
        intro=kit.t("change_plates_intro"),
        action=f"/status/{app.id}/plates",
        raw=raw,
        errors=errors,
        status=status,
    )


@bp.route("/status/{application_id}/plates", methods=["GET"])
@page_errors
def plates_form(application_id: str) -> Response:
    from chalicelib.web.questions.binding import displayed_values

    kit = PageKit()
    found = issued_app(kit, application_id)
    if isinstance(found, Response):
        return found
    app, form = found
    page = _plates_page(kit, form)
    return _plates_form(kit, app, form, page, displayed_values(page, app.data))


@bp.route("/status/{application_id}/plates", methods=["POST"], content_types=FORM_POST)
@page_errors
def plates_check(application_id: str) -> Response:
    from chalicelib.web.questions.binding import list_action

    kit = PageKit()
    posted_form = kit.form()
    found = issued_app(kit, application_id)
    if isinstance(found, Response):
        return found
    app, form = found
    page = _plates_page(kit, form)
    posted, plates = _posted_plates(form, page, posted_form)
    action = list_action(posted_form)
    if action is not None:  # "add another" / "remove": the same form again, nothing checked
        raw = dict(posted.raw)
        name = action[1]
        items = [raw.pop(k) for k in sorted(list(raw)) if k.startswith(name + ".")]
        if action[0] == "add":
            items.append("")
        elif len(items) > 1 and 0 <= action[2] < len(items):
            items.pop(action[2])
        raw.update({f"{name}.{i}": text for i, text in enumerate(items)})
        return _plates_form(kit, app, form, page, raw)
    try:
        checked = kit.c.changes.check_plates(app, plates)
    except (ValidationFailedError, FieldConflictError) as refused:
        errors = to_document(refused.errors, "/plates", form.permit.plates)
        status = 409 if isinstance(refused, FieldConflictError) else 422
        return _plates_form(kit, app, form, page, posted.raw, errors, status)
    fee = form.change_fee_cents
    field = page.fields[0]
    return render_confirm(
        kit,
        app,
        form,
        rows=[{"key": kit.t("change_new_plates"), "value": ", ".join(checked)}],
        paragraphs=[kit.t("change_old_invalid"), fee_note(kit, form)],
        hidden=[(f"{field.name}.{i}", plate) for i, plate in enumerate(checked)],
        action=f"/status/{app.id}/plates/confirm",
        back_url=f"/status/{app.id}/plates",
        submit_text=kit.t("change_confirm_pay" if fee else "change_confirm_free"),
    )


@bp.route("/status/{application_id}/plates/confirm", methods=["POST"], content_types=FORM_POST)
@page_errors
def plates_confirm(application_id: str) -> Response:
    kit = PageKit()
    posted_form = kit.form()
    found = issued_app(kit, application_id)
    if isinstance(found, Response):
        return found
    app, form = found
    page = _plates_page(kit, form)
    posted, plates = _posted_plates(form, page, posted_form)
    try:
        outcome = kit.c.changes.change_plates(app, plates)
    except (ValidationFailedError, FieldConflictError) as refused:
        errors = to_document(refused.errors, "/plates", form.permit.plates)
        status = 409 if isinstance(refused, FieldConflictError) else 422
        return _plates_form(kit, app, form, page, posted.raw, errors, status)
    return after_change(kit, outcome, app.id, "plates")


@bp.route("/status/{application_id}/change/pay", methods=["POST"], content_types=FORM_POST)
@page_errors
def change_pay(application_id: str) -> Response:
    """To the open checkout of a change waiting for its fee (back to the status page else)."""
    from chalicelib.domain.payability import checkout_expiry

    kit = PageKit()
    kit.form()
    found = issued_app(kit, application_id)
    if isinstance(found, Response):
        return found
    app, _ = found
    change = app.change
    if change is None or change.state != "awaiting_payment" or change.checkout is None:
        return kit.redirect(f"/status/{app.id}")
    if kit.c.clock.now() >= checkout_expiry(change.checkout):
        return kit.redirect(f"/status/{app.id}/plates")
    return kit.redirect(change.checkout.checkout_url)
