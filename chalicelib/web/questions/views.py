"""What the start, check-your-answers and services pages show, computed from form and answers.

Pure functions over the form definition, its page model and a document: no request, no
Jinja. Money is formatted from integer cents; the fee comes from the form's own fee table
(``FormDefinition.fee_for``), never from a template.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from chalicelib.domain.forms import FormDefinition
from chalicelib.domain.pointers import MISSING, resolve_pointer
from chalicelib.web.i18n import translate
from chalicelib.web.questions.model import Field, FormModel

__all__ = [
    "FeeView",
    "Row",
    "Section",
    "answer_sections",
    "display_value",
    "fee_summary",
    "fee_view",
    "format_money",
    "needs",
]


def format_money(cents: int, lang: str) -> str:
    euros, rest = divmod(abs(cents), 100)
    if lang == "en":
        return f"€{euros:,}.{rest:02d}"
    return f"{euros:,}".replace(",", ".") + f",{rest:02d} €"


def _format_date(value: str, lang: str) -> str:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return (
        f"{day.day} {day.strftime('%B')} {day.year}" if lang == "en" else day.strftime("%d.%m.%Y")
    )


def display_value(f: Field, value: Any, lang: str) -> list[str]:
    """The answer as the citizen reads it on the check page (one string per line)."""
    if value is MISSING or value is None:
        return [translate("not_answered", lang)]
    if f.widget == "checkbox":
        return [
            translate("yes_confirmed", lang) if value is True else translate("not_answered", lang)
        ]
    if f.widget == "date" and isinstance(value, str):
        return [_format_date(value, lang)]
    if f.widget == "list" and isinstance(value, list):
        return [str(item) for item in value]
    label = f.option_label(value)
    if label is not None:
        return [label.get(lang) or label["de"]]
    return [str(value)]


@dataclass(frozen=True)
class Row:
    key: str
    lines: list[str]
    href: str | None


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[Row]


def answer_sections(
    model: FormModel, document: dict[str, Any], lang: str, base: str
) -> list[Section]:
    sections = []
    for page in model.pages:
        rows = []
        for f in page.fields:
            if f.condition is not None and not f.condition.holds(document):
                continue
            value = resolve_pointer(document, f.pointer)
            href = None if f.widget == "fixed" else f"{base}/{page.id}?return=check#{f.anchor}"
            rows.append(
                Row(f.label.get(lang) or f.label["de"], display_value(f, value, lang), href)
            )
        if rows:
            sections.append(Section(page.title.get(lang) or page.title["de"], rows))
    return sections


@dataclass(frozen=True)
class FeeRow:
    label: str
    amount: str
    chosen: bool


@dataclass(frozen=True)
class FeeView:
    amount: str
    explanation: str
    by_label: str
    rows: list[FeeRow]


def _fee_field(form: FormDefinition, model: FormModel) -> Field | None:
    pointer = form.fee_pointer
    if pointer is None:
        return None
    for f in model.fields:
        if f.pointer == pointer:
            return f
    return None


def fee_view(
    form: FormDefinition, model: FormModel, document: dict[str, Any], lang: str
) -> FeeView:
    """The fee for these answers and how it was found (the row of the fee table chosen)."""
    fee = form.fee_for(document)
    amount = fee.amount_cents if fee is not None else 0
    amount_text = translate("fee_free", lang) if amount == 0 else format_money(amount, lang)
    options = form.fee_options
    if "" in options:
        return FeeView(amount_text, translate("fee_flat", lang), "", [])
    f = _fee_field(form, model)
    by_label = (f.label.get(lang) or f.label["de"]) if f is not None else str(form.fee_pointer)
    chosen = resolve_pointer(document, form.fee_pointer or "")
    rows = []
    for key, cents in options.items():
        label = key
        if f is not None:
            for option in f.options:
                if str(option.value) == key:
                    label = option.label.get(lang) or option.label["de"]
        rows.append(FeeRow(label, format_money(cents, lang), str(chosen) == key))
    return FeeView(amount_text, translate("fee_by", lang, label=by_label), by_label, rows)


def fee_summary(form: FormDefinition, lang: str) -> str:
    """ "30,00 €", "ab 15,00 €" or "Kostenlos" for the list of services."""
    amounts = sorted(form.fee_options.values())
    if not amounts or amounts[-1] == 0:
        return translate("fee_free", lang)
    if len(set(amounts)) == 1:
        return format_money(amounts[0], lang)
    return translate("from_fee", lang, amount=format_money(amounts[0], lang))


def needs(form: FormDefinition, model: FormModel, lang: str) -> list[str]:
    """ "What you need", from the form itself: the groups it asks about, mail, payment."""
    groups = ", ".join(page.title.get(lang) or page.title["de"] for page in model.pages)
    found = [translate("need_fields", lang, groups=groups)]
    if form.email_pointer is not None:
        found.append(translate("need_email", lang))
    if any(amount > 0 for amount in form.fee_options.values()):
        found.append(translate("need_payment", lang))
    found.append(translate("need_printer", lang))
    return found
