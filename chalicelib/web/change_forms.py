"""What the change pages share: access, the one-page form, the confirmation, the status box.

The citizen's change pages (``routes/change_pages.py``: new plate; ``routes/move_pages.py``:
move) render the form's own question widgets on one page and a confirmation that says what
will happen; the status page shows their section (``status_page_changes``). Access is the
status page's: the session cookie from the private link.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chalice.app import Response

from chalicelib.domain.errors import FieldError
from chalicelib.domain.lifecycle import Status
from chalicelib.web.pagekit import PageKit
from chalicelib.web.routes.status import _session

if TYPE_CHECKING:
    from chalicelib.domain.forms import FormDefinition
    from chalicelib.domain.records import Application
    from chalicelib.web.questions.model import Page

__all__ = [
    "after_change",
    "fee_note",
    "issued_app",
    "one_page",
    "render_change_form",
    "render_confirm",
    "status_page_changes",
    "to_document",
]


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


def issued_app(kit: PageKit, application_id: str) -> tuple[Application, FormDefinition] | Response:
    """The session's application with a permit in force, or the page to answer instead."""
    found = _session(kit, application_id)
    if found is None:
        return kit.message(404, "no_access_title", "no_access_text")
    app = found[0]
    form = kit.c.registry.get(app.form_id)
    if form is None or app.status is not Status.ISSUED or app.permit is None:
        return kit.redirect(f"/status/{application_id}")
    return app, form


def fee_note(kit: PageKit, form: FormDefinition) -> str:
    from chalicelib.web.questions.views import format_money

    fee = form.change_fee_cents
    if fee == 0:
        return kit.t("change_free_note")
    return kit.t("change_fee_note", fee=format_money(fee, kit.lang))


def one_page(form: FormDefinition, pointers: tuple[str, ...], title: dict[str, str]) -> Page:
    """A one-page form of the form's own fields at ``pointers`` (the question widgets)."""
    from chalicelib.web.questions.model import Page, form_model

    model = form_model(form)
    fields = tuple(f for f in model.fields if f.pointer in pointers)
    return Page("change", title, None, fields)


def display_values(page: Page, raw: dict[str, Any]) -> dict[str, Any]:
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


def field_error_map(page: Page, errors: list[Any]) -> dict[str, Any]:
    by_pointer: dict[str, Any] = {}
    for error in errors:
        f = error.field
        if f.widget == "list" and error.pointer != f.pointer:
            index = int(error.pointer[len(f.pointer) + 1 :].split("/")[0])
            by_pointer.setdefault(f.pointer + "[]", {})[index] = error.message
        else:
            by_pointer.setdefault(f.pointer, error.message)
    return by_pointer


def to_document(errors: list[FieldError], body: str, stored: str) -> list[FieldError]:
    """Errors named in the change's body (``/plates/0``) as the form's pointers."""
    return [
        FieldError(stored + e.pointer[len(body) :], e.code, e.params)
        if e.pointer == body or e.pointer.startswith(body + "/")
        else e
        for e in errors
    ]


def render_change_form(
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
        fee_note=fee_note(kit, form),
        page=page,
        values=display_values(page, raw),
        field_errors=field_error_map(page, listed),
        errors=bool(listed),
        error_list=listed,
        back_url=f"/status/{app.id}",
        action=action,
        csrf=kit.csrf_token(),
    )


def render_confirm(
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


def after_change(kit: PageKit, outcome: Any, app_id: str, done: str) -> Response:
    if outcome.result == "payment_required" and outcome.checkout_url:
        return kit.redirect(outcome.checkout_url)
    return kit.redirect(f"/status/{app_id}?changed={done}")
