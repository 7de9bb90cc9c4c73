"""The citizen's journey through a form: start page, question pages, check answers, submit.

Every page comes from the form's schema (``chalicelib/web/questions``); nothing here knows
a particular form. Answers live in a server-side draft (``DraftService``) named by a
signed session cookie; every POST carries a CSRF token. Submitting calls the same
``SubmissionService`` as the API, with the draft's id as the Idempotency-Key, so a double
click or a reload after "Absenden" finds the one application already made.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Response

from chalicelib.domain.access import hash_token, sign, unsign
from chalicelib.domain.errors import NotFoundError, ValidationFailedError
from chalicelib.web.pagekit import FORM_POST, PageKit, page_errors

if TYPE_CHECKING:
    from chalicelib.domain.errors import FieldError
    from chalicelib.domain.forms import FormDefinition
    from chalicelib.domain.records import Draft
    from chalicelib.web.questions.model import FormModel, Page

__all__ = ["bp", "grant_access", "remember_draft"]

bp = Blueprint(__name__)
RESERVED_PAGE_IDS = frozenset({"check", "save", "resume"})
ACCESS_SECONDS = 2 * 3600


# -- shared steps ----------------------------------------------------------------------


def _form(kit: PageKit, form_id: str) -> tuple[FormDefinition, FormModel]:
    from chalicelib.web.questions.model import form_model

    form = kit.c.registry.get(form_id)
    if form is None:
        raise NotFoundError("unknown form")
    return form, form_model(form)


def _draft_cookie(form_id: str) -> str:
    return f"draft-{form_id}"


def _draft(kit: PageKit, form_id: str) -> Draft | None:
    draft_id = unsign(kit.c.subkey("draft-cookie"), kit.cookies.get(_draft_cookie(form_id)))
    return kit.c.drafts.get(draft_id, form_id)


def remember_draft(kit: PageKit, draft: Draft) -> None:
    from chalicelib.web.security import set_cookie

    value = sign(kit.c.subkey("draft-cookie"), draft.id)
    kit.set_cookies.append(set_cookie(_draft_cookie(draft.form_id), value, secure=kit.secure))


def grant_access(kit: PageKit, application_id: str, seed: str = "") -> None:
    """A short session on this browser for one application (see services/links.py)."""
    from chalicelib.web.security import set_cookie

    expires = int(kit.c.clock.now().timestamp()) + ACCESS_SECONDS
    value = sign(kit.c.subkey("access-cookie"), f"{application_id}~{expires}~{seed}")
    kit.set_cookies.append(set_cookie("access", value, secure=kit.secure))


def _title(kit: PageKit, form: FormDefinition) -> str:
    return kit.text(form.title)


def _base(form_id: str) -> str:
    return f"/forms/{form_id}"


def _today(kit: PageKit) -> date:
    """The Berlin day on the service's clock: the fee table in force is the submission's."""
    from chalicelib.domain.dates import berlin_today

    return berlin_today(kit.c.clock.now())


# -- start -----------------------------------------------------------------------------


@bp.route("/forms/{form_id}", methods=["GET"])
@page_errors
def start_page(form_id: str) -> Response:
    from chalicelib.web.questions.views import fee_view, needs

    kit = PageKit()
    form, model = _form(kit, form_id)
    fee = fee_view(form, model, {}, kit.lang, _today(kit))
    rows = [(row.label, row.amount) for row in fee.rows]
    fee_text = fee.explanation if rows else fee.amount
    return kit.render(
        "pages/start.html",
        title=_title(kit, form),
        description=kit.text(form.description),
        needs=needs(form, model, kit.lang, _today(kit)),
        fee_text=fee_text,
        fee_rows=rows,
        first_page_url=f"{_base(form_id)}/{model.pages[0].id}",
        noindex=False,
    )


# -- question pages --------------------------------------------------------------------


def _render_question(
    kit: PageKit,
    form: FormDefinition,
    model: FormModel,
    page: Page,
    values: dict[str, Any],
    field_errors: list[Any],
    status: int = 200,
) -> Response:
    errors_by_pointer: dict[str, Any] = {}
    for error in field_errors:
        f = error.field
        if f.widget == "list" and error.pointer != f.pointer:
            index = int(error.pointer[len(f.pointer) + 1 :].split("/")[0])
            errors_by_pointer.setdefault(f.pointer + "[]", {})[index] = error.message
        else:
            errors_by_pointer.setdefault(f.pointer, error.message)
    for f in page.fields:  # the list widget's entries, one input at least
        if f.widget == "list":
            items = [values[k] for k in sorted(values, key=_index) if k.startswith(f.name + ".")]
            values[f.name + "[]"] = items or [""]
    index = [p.id for p in model.pages].index(page.id)
    previous = model.previous_page(page.id)
    back = f"{_base(form.id)}/{previous.id}" if previous else _base(form.id)
    if kit.query.get("return") == "check":
        back = f"{_base(form.id)}/check"
    action = f"{_base(form.id)}/{page.id}"
    if kit.query.get("return") == "check":
        action += "?return=check"
    return kit.render(
        "pages/question.html",
        status,
        form_title=_title(kit, form),
        page=page,
        values=values,
        field_errors=errors_by_pointer,
        errors=bool(field_errors),
        error_list=field_errors,
        step=index + 1,
        steps=len(model.pages),
        back_url=back,
        action=action,
        csrf=kit.csrf_token(),
    )


def _index(key: str) -> int:
    tail = key.rsplit(".", 1)[-1]
    return int(tail) if tail.isdigit() else 0


@bp.route("/forms/{form_id}/{page_id}", methods=["GET"])
@page_errors
def question_page(form_id: str, page_id: str) -> Response:
    from chalicelib.web.questions.binding import displayed_values

    kit = PageKit()
    form, model = _form(kit, form_id)
    page = model.page(page_id)
    if page is None:
        raise NotFoundError("unknown page")
    draft = _draft(kit, form_id)
    values = displayed_values(page, draft.data) if draft else {}
    return _render_question(kit, form, model, page, values, [])


@bp.route("/forms/{form_id}/{page_id}", methods=["POST"], content_types=FORM_POST)
@page_errors
def answer_page(form_id: str, page_id: str) -> Response:
    from chalicelib.web.questions.binding import apply_page, bind_page, list_action
    from chalicelib.web.questions.errors import page_errors as errors_of_page

    kit = PageKit()
    form, model = _form(kit, form_id)
    page = model.page(page_id)
    if page is None:
        raise NotFoundError("unknown page")
    posted_form = kit.form()
    posted = bind_page(page, posted_form)
    action = list_action(posted_form)
    if action is not None:  # "add another" / "remove": the same page again, nothing checked
        values = dict(posted.raw)
        kind, name, position = action
        for f in page.fields:
            if f.widget == "list" and f.name == name:
                items = [
                    values.pop(k)
                    for k in sorted(list(values), key=_index)
                    if k.startswith(name + ".")
                ]
                if kind == "add" and len(items) < f.max_items:
                    items.append("")
                elif kind == "remove" and 0 <= position < len(items) and len(items) > 1:
                    items.pop(position)
                values.update({f"{name}.{i}": text for i, text in enumerate(items)})
        return _render_question(kit, form, model, page, values, [])
    draft = _draft(kit, form_id)
    if draft is not None and draft.application_id is not None:
        return kit.redirect(f"/status/{draft.application_id}")
    document = apply_page(draft.data if draft else {}, page, posted)
    if (posted_form.get("action") or [""])[-1] == "save":
        saved = kit.c.drafts.save(form_id, draft, document)
        if draft is None:
            remember_draft(kit, saved)
        return kit.redirect(f"{_base(form_id)}/save")
    errors = errors_of_page(page, kit.c.drafts.errors(form, document), kit.lang)
    if errors:
        return _render_question(kit, form, model, page, dict(posted.raw), errors, 422)
    saved = kit.c.drafts.save(form_id, draft, document)
    if draft is None:
        remember_draft(kit, saved)
    following = model.next_page(page.id)
    if kit.query.get("return") == "check" or following is None:
        return kit.redirect(f"{_base(form_id)}/check")
    return kit.redirect(f"{_base(form_id)}/{following.id}")


# -- check your answers and submit -----------------------------------------------------


def _first_open_page(model: FormModel, errors: list[FieldError]) -> Page | None:
    for page in model.pages:
        if any(page.concerns(error.pointer) for error in errors):
            return page
    return None


def _render_check(
    kit: PageKit,
    form: FormDefinition,
    model: FormModel,
    draft: Draft,
    errors: list[FieldError],
    status: int = 200,
) -> Response:
    from chalicelib.web.questions.errors import page_errors as errors_of_page
    from chalicelib.web.questions.views import answer_sections, fee_view

    base = _base(form.id)
    error_list = []
    for page in model.pages:
        for error in errors_of_page(page, errors, kit.lang):
            error_list.append(
                {"anchor": f"{page.id}-{error.anchor}", "message": error.message,
                 "href": f"{base}/{page.id}?return=check#{error.anchor}"}
            )  # fmt: skip
    today = _today(kit)
    fee = fee_view(form, model, draft.data, kit.lang, today)
    computed = form.fee_on(draft.data, today)
    paid = computed is not None and computed.amount_cents > 0
    origins = kit.c.settings.checkout_origins
    return kit.render(
        "pages/check.html",
        status,
        form_origins=origins,
        form_title=_title(kit, form),
        sections=answer_sections(model, draft.data, kit.lang, base),
        fee=fee,
        errors=bool(errors),
        error_list=[_Link(e["href"], e["message"]) for e in error_list],
        back_url=f"{base}/{model.pages[-1].id}",
        action=f"{base}/check",
        csrf=kit.csrf_token(),
        submit_text=kit.t("submit_pay" if paid else "submit_free"),
        submit_note=kit.t("submit_note") if paid else "",
    )


class _Link:
    """An error summary entry that leads to another page (check answers)."""

    def __init__(self, href: str, message: str) -> None:
        self.href = href
        self.message = message


@bp.route("/forms/{form_id}/check", methods=["GET"])
@page_errors
def check_page(form_id: str) -> Response:
    kit = PageKit()
    form, model = _form(kit, form_id)
    draft = _draft(kit, form_id)
    if draft is None:
        return kit.redirect(_base(form_id))
    if draft.application_id is not None:
        return kit.redirect(f"/status/{draft.application_id}")
    errors = kit.c.drafts.errors(form, draft.data)
    open_page = _first_open_page(model, errors)
    if open_page is not None:
        return kit.redirect(f"{_base(form_id)}/{open_page.id}")
    return _render_check(kit, form, model, draft, [])


@bp.route("/forms/{form_id}/check", methods=["POST"], content_types=FORM_POST)
@page_errors
def submit(form_id: str) -> Response:
    kit = PageKit()
    form, model = _form(kit, form_id)
    kit.form()  # the CSRF check
    draft = _draft(kit, form_id)
    if draft is None:
        return kit.redirect(_base(form_id))
    key = f"web-draft:{draft.id}"
    if draft.application_id is not None:
        # Submitted already (a second click): the draft kept no answers, the application has
        # them; this browser created it, so it gets its page, exactly as a replay would.
        grant_access(kit, draft.application_id, hash_token(key))
        return kit.redirect(f"/status/{draft.application_id}")
    try:
        if draft.renewal_of is not None:  # started from the status page's "Verlängern"
            from chalicelib.services.renewal import RenewalRefusedError

            try:
                result = _submit_renewal(kit, draft, key)
            except RenewalRefusedError:
                link = {"href": f"/status/{draft.renewal_of}", "text": kit.t("renewal_back")}
                return kit.message(409, "renewal_refused_title", "renewal_refused_text", link)
        else:
            result = kit.c.submissions.submit(form_id, draft.data, key, kit.lang)
    except ValidationFailedError as failed:  # e.g. the start date passed at midnight
        return _render_check(kit, form, model, draft, failed.errors, 422)
    application_id = str(result.body["id"])
    if draft.application_id is None:
        import contextlib

        from chalicelib.services.store_errors import DraftChangedError

        # a concurrent click may have marked it: the same application either way
        with contextlib.suppress(DraftChangedError):
            kit.c.drafts.mark_submitted(draft, application_id)
    grant_access(kit, application_id, hash_token(key))
    if result.body["status"] in ("SUBMITTED", "AWAITING_PAYMENT"):
        app = kit.c.store.get_application(application_id)
        if app is not None and app.fee_cents > 0 and kit.c.payment_provider is not None:
            return kit.redirect(kit.c.checkout.start_for(app))
    return kit.redirect(f"/status/{application_id}")


def _submit_renewal(kit: PageKit, draft: Draft, key: str) -> Any:
    """The renewal's own checks (window, one renewal) run again at submission."""
    renewed = kit.c.store.get_application(draft.renewal_of or "")
    if renewed is None:
        raise NotFoundError("unknown application")
    return kit.c.renewal.renew(renewed, draft.data, kit.lang, key)


# -- save and return -------------------------------------------------------------------


@bp.route("/forms/{form_id}/save", methods=["GET"])
@page_errors
def save_page(form_id: str) -> Response:
    from chalicelib.domain.pointers import resolve_pointer

    kit = PageKit()
    form, model = _form(kit, form_id)
    draft = _draft(kit, form_id)
    if draft is None:
        return kit.redirect(_base(form_id))
    email = resolve_pointer(draft.data, form.email_pointer) if form.email_pointer else None
    return _render_save(kit, form, model, email if isinstance(email, str) else "", None)


def _render_save(
    kit: PageKit, form: FormDefinition, model: FormModel, email: str, error: str | None
) -> Response:
    base = _base(form.id)
    errors = [_Link("#f-save-email", error)] if error else []
    return kit.render(
        "pages/save.html",
        422 if error else 200,
        form_title=_title(kit, form),
        email=email,
        email_error=error,
        errors=bool(error),
        error_list=errors,
        back_url=f"{base}/{model.pages[0].id}",
        action=f"{base}/save",
        csrf=kit.csrf_token(),
    )


def _email_error(kit: PageKit, form: FormDefinition, email: str) -> str | None:
    """The form's own e-mail rule (its schema and format check) judges the address."""
    from chalicelib.web.questions.errors import page_errors as errors_of_page
    from chalicelib.web.questions.model import form_model

    if not email:
        return kit.t("save_email_required")
    pointer = form.email_pointer
    if pointer is None:
        return None
    model = form_model(form)
    page = model.page_for(pointer)
    if page is None:
        return None
    from chalicelib.web.questions.binding import _set  # the one way a value is placed

    document: dict[str, Any] = {}
    _set(document, pointer, email)
    errors = [e for e in kit.c.drafts.errors(form, document) if e.pointer == pointer]
    found = errors_of_page(page, errors, kit.lang)
    return found[0].message if found else None


@bp.route("/forms/{form_id}/save", methods=["POST"], content_types=FORM_POST)
@page_errors
def save_and_mail(form_id: str) -> Response:
    kit = PageKit()
    form, model = _form(kit, form_id)
    email = (kit.form().get("email") or [""])[-1].strip()
    draft = _draft(kit, form_id)
    if draft is None:
        return kit.redirect(_base(form_id))
    error = _email_error(kit, form, email)
    if error:
        return _render_save(kit, form, model, email, error)
    _, until = kit.c.drafts.send_resume_link(draft, email, kit.lang)
    return kit.render(
        "pages/message.html",
        title=kit.t("saved_title"),
        paragraphs=[kit.t("saved_text", email=email, until=until)],
        link={"href": f"{_base(form_id)}/{model.pages[0].id}", "text": kit.t("resume_button")},
    )


@bp.route("/forms/{form_id}/resume/{link}", methods=["GET"])
@page_errors
def resume_page(form_id: str, link: str) -> Response:
    """A page with a button, not an instant resume: mail scanners that open links do no POST."""
    kit = PageKit()
    form, _ = _form(kit, form_id)
    target = kit.c.links.resume_target(link)
    if target is None or kit.c.drafts.resume(*target) is None:
        return kit.message(404, "draft_missing_title", "draft_missing_text",
                           {"href": _base(form_id), "text": kit.t("start_again")})  # fmt: skip
    return kit.render(
        "pages/resume.html",
        form_title=_title(kit, form),
        action=f"{_base(form_id)}/resume/{link}",
        csrf=kit.csrf_token(),
    )


@bp.route("/forms/{form_id}/resume/{link}", methods=["POST"], content_types=FORM_POST)
@page_errors
def resume(form_id: str, link: str) -> Response:
    kit = PageKit()
    form, model = _form(kit, form_id)
    kit.form()
    target = kit.c.links.resume_target(link)
    draft = kit.c.drafts.resume(*target) if target is not None else None
    if draft is None or draft.form_id != form_id:
        return kit.message(404, "draft_missing_title", "draft_missing_text",
                           {"href": _base(form_id), "text": kit.t("start_again")})  # fmt: skip
    remember_draft(kit, draft)
    open_page = _first_open_page(model, kit.c.drafts.errors(form, draft.data))
    if open_page is not None:
        return kit.redirect(f"{_base(form_id)}/{open_page.id}")
    return kit.redirect(f"{_base(form_id)}/check")
