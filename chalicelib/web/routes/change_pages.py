"""The citizen's changes in the browser, from the status page (issue 15 item 3).

"Kennzeichen ändern" and "Umzug melden": a form with the form's own question widgets, then
a confirmation page that says what will happen (new permit, fee, the old one invalid, or the
permit ending), then the change (PRG back to the status page, or on to the payment page
when the form sets a change fee). Access is the status page's: the session cookie from the
private link. The confirmation carries the answers as hidden fields and is checked again on
submit, so nothing is stored before the citizen confirms.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Response

from chalicelib.domain.errors import FieldConflictError, FieldError, ValidationFailedError
from chalicelib.domain.lifecycle import Status
from chalicelib.web.pagekit import FORM_POST, PageKit, page_errors
from chalicelib.web.routes.status import _session

if TYPE_CHECKING:
    from chalicelib.domain.forms import FormDefinition
    from chalicelib.domain.records import Application
    from chalicelib.web.questions.model import Page

__all__ = ["bp", "status_page_changes"]

bp = Blueprint(__name__)


# -- what the status page shows ---------------------------------------------------------


def status_page_changes(kit: PageKit, app: Application) -> dict[str, Any]:
    """The status page's change section: links, a change waiting for payment, a done note."""
    from chalicelib.domain.dates import berlin_today
    from chalicelib.domain.payability import checkout_expiry
    from chalicelib.web.questions.views import format_money

    context: dict[str, Any] = {"changes": None, "pending_change": None, "changed": None}
    form = kit.c.registry.get(app.form_id)
    if form is None:
        return context
    done = kit.query.get("changed")
    if done in ("plates", "moved", "address", "ended"):
        context["changed"] = {
            "plates": "changed_panel",
            "moved": "changed_panel",
            "address": "moved_panel",
            "ended": "ended_panel",
        }[done]
    permit = app.permit
    today = berlin_today(kit.c.clock.now())
    if app.status is not Status.ISSUED or permit is None or today > permit.valid_to:
        return context
    context["changes"] = {
        "plates_url": f"/status/{app.id}/plates",
        "move_url": f"/status/{app.id}/move" if form.permit.zone.from_address else None,
    }
    change = app.change
    checkout = change.checkout if change is not None else None
    open_now = checkout is not None and kit.c.clock.now() < checkout_expiry(checkout)
    if change is not None and change.state == "awaiting_payment" and open_now:
        fee = format_money(change.fee_cents, kit.lang)
        context["pending_change"] = {
            "text": kit.t("pending_change_panel", fee=fee),
            "pay_url": f"/status/{app.id}/change/pay",
        }
    return context


# -- shared -------------------------------------------------------------------------------


def _issued(kit: PageKit, application_id: str) -> tuple[Application, FormDefinition] | Response:
    """The session's application with a permit in force, or the page to answer instead."""
    found = _session(kit, application_id)
    if found is None:
        return kit.message(404, "no_access_title", "no_access_text")
    app = found[0]
    form = kit.c.registry.get(app.form_id)
    if form is None or app.status is not Status.ISSUED or app.permit is None:
        return kit.redirect(f"/status/{application_id}")
    return app, form


def _fee_note(kit: PageKit, form: FormDefinition) -> str:
    from chalicelib.web.questions.views import format_money

    fee = form.change_fee_cents
    if fee == 0:
        return kit.t("change_free_note")
    return kit.t("change_fee_note", fee=format_money(fee, kit.lang))


def _page(form: FormDefinition, pointers: tuple[str, ...], title: dict[str, str]) -> Page:
    """A one-page form of the form's own fields at ``pointers`` (the question widgets)."""
    from chalicelib.web.questions.model import Page, form_model

    model = form_model(form)
    fields = tuple(f for f in model.fields if f.pointer in pointers)
    return Page("change", title, None, fields)


def _values(page: Page, raw: dict[str, Any]) -> dict[str, Any]:
    """The typed values for re-display; a list widget's entries as ``name[]``."""
    values = dict(raw)
    for f in page.fields:
        if f.widget == "list":
            keys = sorted(
                (k for k in values if k.startswith(f.name + ".")),
                key=lambda k: int(k.rsplit(".", 1)[-1]) if k.rsplit(".", 1)[-1].isdigit() else 0,
            )
            values[f.name + "[]"] = [values[k] for k in keys] or [""]
    return values


def _field_errors(page: Page, errors: list[Any]) -> dict[str, Any]:
    by_pointer: dict[str, Any] = {}
    for error in errors:
        f = error.field
        if f.widget == "list" and error.pointer != f.pointer:
            index = int(error.pointer[len(f.pointer) + 1 :].split("/")[0])
            by_pointer.setdefault(f.pointer + "[]", {})[index] = error.message
        else:
            by_pointer.setdefault(f.pointer, error.message)
    return by_pointer


def _to_document(errors: list[FieldError], body: str, stored: str) -> list[FieldError]:
    """Errors named in the change's body (``/plates/0``) as the form's pointers."""
    return [
        FieldError(stored + e.pointer[len(body) :], e.code, e.params)
        if e.pointer == body or e.pointer.startswith(body + "/")
        else e
        for e in errors
    ]


def _render_form(
    kit: PageKit,
    app: Application,
    form: FormDefinition,
    page: Page,
    *,
    heading: str,
    intro: str,
    action: str,
    raw: dict[str, Any],
    errors: Sequence[FieldError] = (),
    status: int = 200,
) -> Response:
    from chalicelib.web.questions.errors import page_errors as errors_of_page

    listed = errors_of_page(page, list(errors), kit.lang)
    return kit.render(
        "pages/change_form.html",
        status,
        form_title=kit.text(form.title),
        heading=heading,
        intro=intro,
        fee_note=_fee_note(kit, form),
        page=page,
        values=_values(page, raw),
        field_errors=_field_errors(page, listed),
        errors=bool(listed),
        error_list=listed,
        back_url=f"/status/{app.id}",
        action=action,
        csrf=kit.csrf_token(),
    )


def _render_confirm(
    kit: PageKit,
    app: Application,
    form: FormDefinition,
    *,
    rows: list[dict[str, str]],
    paragraphs: list[str],
    hidden: list[tuple[str, str]],
    action: str,
    back_url: str,
    submit_text: str,
    confirm_end: bool = False,
    confirm_error: str | None = None,
    status: int = 200,
) -> Response:
    error_list = []
    if confirm_error:
        error_list.append({"anchor": "confirm_end", "message": confirm_error})
    return kit.render(
        "pages/change_confirm.html",
        status,
        form_origins=kit.c.settings.checkout_origins,
        form_title=kit.text(form.title),
        rows=rows,
        paragraphs=paragraphs,
        hidden=hidden,
        action=action,
        back_url=back_url,
        submit_text=submit_text,
        confirm_end=confirm_end,
        confirm_error=confirm_error,
        errors=bool(error_list),
        error_list=error_list,
        csrf=kit.csrf_token(),
    )


def _after(kit: PageKit, outcome: Any, app_id: str, done: str) -> Response:
    if outcome.result == "payment_required" and outcome.checkout_url:
        return kit.redirect(outcome.checkout_url)
    return kit.redirect(f"/status/{app_id}?changed={done}")


# -- new plate ------------------------------------------------------------------------------


def _plates_page(kit: PageKit, form: FormDefinition) -> Page:
    return _page(
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
    return _render_form(
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
    found = _issued(kit, application_id)
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
    found = _issued(kit, application_id)
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
        errors = _to_document(refused.errors, "/plates", form.permit.plates)
        status = 409 if isinstance(refused, FieldConflictError) else 422
        return _plates_form(kit, app, form, page, posted.raw, errors, status)
    fee = form.change_fee_cents
    field = page.fields[0]
    return _render_confirm(
        kit,
        app,
        form,
        rows=[{"key": kit.t("change_new_plates"), "value": ", ".join(checked)}],
        paragraphs=[kit.t("change_old_invalid"), _fee_note(kit, form)],
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
    found = _issued(kit, application_id)
    if isinstance(found, Response):
        return found
    app, form = found
    page = _plates_page(kit, form)
    posted, plates = _posted_plates(form, page, posted_form)
    try:
        outcome = kit.c.changes.change_plates(app, plates)
    except (ValidationFailedError, FieldConflictError) as refused:
        errors = _to_document(refused.errors, "/plates", form.permit.plates)
        status = 409 if isinstance(refused, FieldConflictError) else 422
        return _plates_form(kit, app, form, page, posted.raw, errors, status)
    return _after(kit, outcome, app.id, "plates")


# -- move -----------------------------------------------------------------------------------


def _address_page(form: FormDefinition) -> tuple[Page, str]:
    street = form.permit.zone.street or ""
    stored = street.rpartition("/")[0]
    from chalicelib.web.questions.model import form_model

    pointers = tuple(
        f.pointer for f in form_model(form).fields if f.pointer.startswith(stored + "/")
    )
    return _page(form, pointers, {"de": "Umzug melden", "en": "Report a move"}), stored


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
    return _render_form(
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
    found = _issued(kit, application_id)
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
        errors = _to_document(refused.errors, "/address", stored)
        return _move_form(kit, app, form, page, posted.raw, errors, 422)
    zone_map = kit.c.registry.zone_map
    lines = [str(v) for k, v in address.items() if isinstance(v, str)]
    rows = [{"key": kit.t("change_new_address"), "value": ", ".join(lines)}]
    if plan.kind == "same_zone":
        paragraphs = [kit.t("move_same_zone", zone=plan.zone)]
        submit = kit.t("change_confirm_move")
    elif plan.kind == "new_zone":
        name = kit.text(zone_map.title(plan.zone)) if zone_map and plan.zone else plan.zone
        paragraphs = [kit.t("move_new_zone", zone=plan.zone, name=name), _fee_note(kit, form)]
        fee = form.change_fee_cents
        submit = kit.t("change_confirm_pay" if fee else "change_confirm_free")
        if fee:
            rows.append({"key": kit.t("fee"), "value": format_money(fee, kit.lang)})
    else:
        paragraphs = [kit.t("move_out")]
        submit = kit.t("change_confirm_move")
    return _render_confirm(
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
        errors = _to_document(refused.errors, "/address", stored)
        return _move_form(kit, app, form, page, posted.raw, errors, 422)
    except FieldConflictError:  # moving out of every zone, not confirmed
        from chalicelib.domain.messages import message_for

        return _render_confirm(
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
    return _after(kit, outcome, app.id, done.get(outcome.result, "moved"))


@bp.route("/status/{application_id}/change/pay", methods=["POST"], content_types=FORM_POST)
@page_errors
def change_pay(application_id: str) -> Response:
    """To the open checkout of a change waiting for its fee (back to the status page else)."""
    from chalicelib.domain.payability import checkout_expiry

    kit = PageKit()
    kit.form()
    found = _issued(kit, application_id)
    if isinstance(found, Response):
        return found
    app, _ = found
    change = app.change
    if change is None or change.state != "awaiting_payment" or change.checkout is None:
        return kit.redirect(f"/status/{app.id}")
    if kit.c.clock.now() >= checkout_expiry(change.checkout):
        return kit.redirect(f"/status/{app.id}/plates")
    return kit.redirect(change.checkout.checkout_url)
