"""What the back-office pages show, shaped from the staff services' answers.

The services answer JSON-ready dicts (the same as the staff API); this turns them into
table rows and summary lists in the page's language. No business rule lives here or in the
templates: which actions a page offers follows the service's own preconditions.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from chalicelib.domain.dates import BERLIN
from chalicelib.domain.fees import format_cents

if TYPE_CHECKING:
    from chalicelib.domain.forms import FormDefinition
    from chalicelib.web.pagekit import PageKit

__all__ = [
    "answer_rows",
    "application_rows",
    "audit_rows",
    "flag_text",
    "local_time",
    "row",
]


def local_time(iso: str | None) -> str:
    if not iso:
        return "–"
    return datetime.fromisoformat(iso).astimezone(BERLIN).strftime("%d.%m.%Y %H:%M")


def flag_text(kit: PageKit, flag: str) -> str:
    """A flag in words; flags with a payment id (``refund_before_payment:pay_1``) keep it."""
    code, _, payment = flag.partition(":")
    key = f"office_flag_{code}"
    words = kit.t(key)
    words = flag if words == key else words
    return f"{words} ({payment})" if payment else words


def form_title(kit: PageKit, form_id: str) -> str:
    form = kit.c.registry.get(form_id)
    return kit.text(form.title) if form is not None else form_id


def application_columns(kit: PageKit, with_queue: bool) -> list[dict[str, Any]]:
    keys = ["office_col_application"]
    if with_queue:
        keys.append("office_col_queue")
    keys += [
        "office_col_status",
        "office_col_form",
        "office_col_created",
        "office_col_number",
        "office_col_reference",
        "office_col_flags",
    ]
    return [{"label": kit.t(key), "numeric": False} for key in keys]


def application_rows(kit: PageKit, apps: list[dict[str, Any]], with_queue: bool) -> list[list[Any]]:
    rows = []
    for app in apps:
        cells: list[Any] = [
            {"text": app["id"][:8], "href": f"/staff/applications/{quote(app['id'])}", "code": True}
        ]
        if with_queue:
            cells.append(kit.t(f"office_queue_{app['queue']}"))
        cells += [
            kit.t(f"status_{app['status']}"),
            form_title(kit, app["form_id"]),
            local_time(app["created_at"]),
            {"text": app["permit_number"] or "–", "code": bool(app["permit_number"])},
            {"text": app["payment_reference"], "code": True},
            ", ".join(flag_text(kit, flag) for flag in app["flags"]) or "–",
        ]
        rows.append(cells)
    return rows


def row(key: str, *lines: str) -> dict[str, Any]:
    return {"key": key, "lines": [line for line in lines if line] or ["–"], "href": None}


def audit_rows(kit: PageKit, entries: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for entry in entries:
        change = ""
        if entry["from"] or entry["to"]:
            change = f"{entry['from'] or '–'} → {entry['to'] or '–'}"
        detail = "; ".join(f"{k}: {v}" for k, v in sorted(entry["detail"].items()))
        rows.append(
            [local_time(entry["at"]), entry["event"], change or "–", entry["actor"], detail or "–"]
        )
    return rows


def answer_rows(kit: PageKit, form: FormDefinition | None, data: Any) -> list[dict[str, Any]]:
    """Every answer as a row, labelled with the schema's titles where it has them."""
    schema = form.schema if form is not None else {}
    rows: list[dict[str, Any]] = []
    _walk(kit, schema, data, [], rows)
    return rows


def _label(kit: PageKit, node: dict[str, Any], name: str) -> str:
    german = node.get("title")
    if not isinstance(german, str):
        return name
    english = (node.get("x-en") or {}).get("title", german)
    return str(english if kit.lang == "en" else german)


def _walk(
    kit: PageKit, node: Any, value: Any, labels: list[str], rows: list[dict[str, Any]]
) -> None:
    node = node if isinstance(node, dict) else {}
    if isinstance(value, dict):
        properties = node.get("properties") or {}
        for name, child in value.items():
            child_node = properties.get(name) or {}
            _walk(kit, child_node, child, [*labels, _label(kit, child_node, name)], rows)
        return
    if isinstance(value, list):
        text = ", ".join(str(item) for item in value)
    elif isinstance(value, bool):
        text = kit.t("yes_confirmed") if value else "–"
    else:
        text = str(value)
    rows.append(row(" › ".join(labels) or "–", text))


def money(kit: PageKit, cents: int) -> str:
    return format_cents(cents, kit.lang)
