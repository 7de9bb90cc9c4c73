"""What the start, check-your-answers and services pages show, computed from form and answers.

Pure functions over the form definition, its page model and a document: no request, no
Jinja. Money is formatted from integer cents; the fee comes from the form's own fee table
(``FormDefinition.fees``, the same computation as at submission), never from a template.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from chalicelib.domain.fees import FeeTable
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


def _fee_field(model: FormModel, pointer: str) -> Field | None:
    for f in model.fields:
        if f.pointer == pointer:
            return f
    return None


def _is_free(form: FormDefinition, day: date) -> bool:
    """Whether the fee table in force on ``day`` is a flat zero (no payment step at all)."""
    return _table_is_free(form.fees.table_on(day))


def _table_is_free(table: FeeTable | None) -> bool:
    return table is None or (table.kind == "flat" and int(table.rule["amount_cents"]) == 0)


def fee_view(
    form: FormDefinition, model: FormModel, document: dict[str, Any], lang: str, day: date
) -> FeeView:
    """The fee for these answers on ``day`` and how it was computed (the form's fee table).

    Before the answers are complete (the start page) it describes the table in force: its
    summary, and for a fee by option one row per option.
    """
    table = form.fees.table_on(day)
    if table is None or _table_is_free(table):
        return FeeView(translate("fee_free", lang), "", "", [])
    result = form.fee_on(document, day)
    if result is not None:
        amount = result.amount_cents
        amount_text = translate("fee_free", lang) if amount == 0 else format_money(amount, lang)
        explanation = str(result.breakdown["explanation"].get(lang, ""))
    else:
        amount_text = form.fees.summary(table)[lang]
        explanation = translate("fee_flat", lang) if table.kind == "flat" else ""
    rows: list[FeeRow] = []
    by_label = ""
    if table.kind == "by_option":
        pointer = str(table.rule["by"])
        f = _fee_field(model, pointer)
        by_label = (f.label.get(lang) or f.label["de"]) if f is not None else pointer
        chosen = resolve_pointer(document, pointer)
        for key, cents in table.rule["amounts_cents"].items():
            label = key
            if f is not None:
                for option in f.options:
                    if str(option.value) == key:
                        label = option.label.get(lang) or option.label["de"]
            rows.append(FeeRow(label, format_money(int(cents), lang), str(chosen) == key))
        if result is None:
            explanation = translate("fee_by", lang, label=by_label)
    return FeeView(amount_text, explanation, by_label, rows)


def fee_summary(form: FormDefinition, lang: str, day: date) -> str:
    """ "30,00 €", "2,50 € pro Tag" or "Kostenlos" for the list of services."""
    table = form.fees.table_on(day)
    if table is None or _table_is_free(table):
        return translate("fee_free", lang)
    return form.fees.summary(table)[lang]


def needs(form: FormDefinition, model: FormModel, lang: str, day: date) -> list[str]:
    """ "What you need", from the form itself: the groups it asks about, mail, payment."""
    groups = ", ".join(page.title.get(lang) or page.title["de"] for page in model.pages)
    found = [translate("need_fields", lang, groups=groups)]
    if form.email_pointer is not None:
        found.append(translate("need_email", lang))
    if not _is_free(form, day):
        found.append(translate("need_payment", lang))
    found.append(translate("need_printer", lang))
    return found
