"""The citizen's move within the city, in the browser, from the status page (issue 15).

"Umzug melden": the form's own address widgets, then a confirmation that says what the new
address means (same zone: only the address changes; another zone: a new permit, with the
change fee if the form sets one; no zone: the permit ends, confirmed with a checkbox), then
the move (PRG to the status page, or on to the payment page).
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


# -- move -----------------------------------------------------------------------------------


def _address_page(form: FormDefinition) -> tuple[Page, str]:
    street = form.permit.zone.street or ""
    stored = street.rpartition("/")[0]
    from chalicelib.web.questions.model import form_model

    pointers = tuple(
        f.pointer for f in form_model(form).fields if f.pointer.startswith(stored + "/")
    )
    return one_page(form, pointers, {"de": "Umzug melden", "en": "Report a move"}), stored


def _posted_address(page: Page, stored: str, posted_form: dict[str, list[str]]) -> Any:
    from chalicelib.web.questions.binding import bind_page

    posted = bind_page(page, posted_form)
    address: dict[str, Any] = {}
    for pointer, value in posted.values.items():
        if pointer.startswith(stored + "/"):
            address[pointer[len(stored) + 1 :]] = value
    return posted, address


def _move_form(
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
        heading=kit.t("change_move"),
        intro=kit.t("change_move_intro"),
        action=f"/status/{app.id}/move",
        raw=raw,
        errors=errors,
        status=status,
    )


def _moving(
    kit: PageKit, application_id: str
) -> tuple[Application, FormDefinition, Page, str] | Response:
    found = issued_app(kit, application_id)
    if isinstance(found, Response):
        return found
    app, form = found
    if not form.permit.zone.from_address:
        return kit.redirect(f"/status/{app.id}")
    page, stored = _address_page(form)
    return app, form, page, stored


@bp.route("/status/{application_id}/move", methods=["GET"])
@page_errors
def move_form(application_id: str) -> Response:
    kit = PageKit()
    found = _moving(kit, application_id)
    if isinstance(found, Response):
        return found
    app, form, page, _ = found
    return _move_form(kit, app, form, page, {})


@bp.route("/status/{application_id}/move", methods=["POST"], content_types=FORM_POST)
@page_errors
def move_check(application_id: str) -> Response:
    from chalicelib.web.questions.views import format_money

    kit = PageKit()
    posted_form = kit.form()
    found = _moving(kit, application_id)
    if isinstance(found, Response):
        return found
    app, form, page, stored = found
    posted, address = _posted_address(page, stored, posted_form)
    try:
        plan = kit.c.changes.plan_move(app, address)
    except ValidationFailedError as refused:
        errors = to_document(refused.errors, "/address", stored)
        return _move_form(kit, app, form, page, posted.raw, errors, 422)
    zone_map = kit.c.registry.zone_map
    lines = [str(v) for k, v in address.items() if isinstance(v, str)]
    rows = [{"key": kit.t("change_new_address"), "value": ", ".join(lines)}]
    if plan.kind == "same_zone":
        paragraphs = [kit.t("move_same_zone", zone=plan.zone)]
        submit = kit.t("change_confirm_move")
    elif plan.kind == "new_zone":
        name = kit.text(zone_map.title(plan.zone)) if zone_map and plan.zone else plan.zone
        paragraphs = [kit.t("move_new_zone", zone=plan.zone, name=name), fee_note(kit, form)]
        fee = form.change_fee_cents
        submit = kit.t("change_confirm_pay" if fee else "change_confirm_free")
        if fee:
            rows.append({"key": kit.t("fee"), "value": format_money(fee, kit.lang)})
    else:
        paragraphs = [kit.t("move_out")]
        submit = kit.t("change_confirm_move")
    return render_confirm(
        kit,
        app,
        form,
        rows=rows,
        paragraphs=paragraphs,
        hidden=sorted(posted.raw.items()),
        action=f"/status/{app.id}/move/confirm",
        back_url=f"/status/{app.id}/move",
        submit_text=submit,
        confirm_end=plan.kind == "out",
    )


@bp.route("/status/{application_id}/move/confirm", methods=["POST"], content_types=FORM_POST)
@page_errors
def move_confirm(application_id: str) -> Response:
    kit = PageKit()
    posted_form = kit.form()
    found = _moving(kit, application_id)
    if isinstance(found, Response):
        return found
    app, form, page, stored = found
    posted, address = _posted_address(page, stored, posted_form)
    confirm_end = (posted_form.get("confirm_end") or [""])[-1] == "true"
    try:
        outcome = kit.c.changes.move(app, address, confirm_end=confirm_end)
    except ValidationFailedError as refused:
        errors = to_document(refused.errors, "/address", stored)
        return _move_form(kit, app, form, page, posted.raw, errors, 422)
    except FieldConflictError:  # moving out of every zone, not confirmed
        from chalicelib.domain.messages import message_for

        return render_confirm(
            kit,
            app,
            form,
            rows=[{"key": kit.t("change_new_address"), "value": ", ".join(
                str(v) for v in address.values() if isinstance(v, str))}],
            paragraphs=[kit.t("move_out")],
            hidden=sorted(posted.raw.items()),
            action=f"/status/{app.id}/move/confirm",
            back_url=f"/status/{app.id}/move",
            submit_text=kit.t("change_confirm_move"),
            confirm_end=True,
            confirm_error=message_for("move_ends_permit", kit.lang, {}),
            status=409,
        )  # fmt: skip
    done = {"superseded": "moved", "address_updated": "address", "ended": "ended"}
    return after_change(kit, outcome, app.id, done.get(outcome.result, "moved"))
