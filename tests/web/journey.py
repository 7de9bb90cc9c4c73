"""Helpers shared by the page tests: a form's example as posted form fields, page by page.

The fields are built with the pages' own inverse binding (``displayed_values``), so a test
posts exactly what a citizen typing the example would post, for any form in ``schemas/``.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from chalicelib.config import APP_ROOT
from chalicelib.domain.forms import FormDefinition
from chalicelib.web.questions.binding import displayed_values
from chalicelib.web.questions.model import FormModel, Page, build_form_model

SCHEMAS = APP_ROOT / "schemas"


def form_files() -> list[Path]:
    return sorted(SCHEMAS.glob("*.json"))


def load_form(path: Path) -> tuple[FormDefinition, FormModel]:
    schema = json.loads(path.read_text(encoding="utf-8"))
    form = FormDefinition.from_schema(schema)
    return form, build_form_model(schema)


def examples(form: FormDefinition) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(json.dumps(form.schema["examples"]))
    return found


#: Plate numbers no example uses: a plate holds one active permit per permit type, and the
#: tests of a session share one table (the e2e service's), so each journey brings its own.
_PLATES = itertools.count(500)


def own_plates(form: FormDefinition, example: dict[str, Any]) -> dict[str, Any]:
    """``example`` with fresh plates at the form's plates field (a list, or one plate)."""
    from chalicelib.domain.pointers import resolve_pointer

    document: dict[str, Any] = json.loads(json.dumps(example))
    tokens = form.permit.plates.strip("/").split("/")
    parent = resolve_pointer(document, "/" + "/".join(tokens[:-1])) if len(tokens) > 1 else document
    current = parent[tokens[-1]]
    if isinstance(current, list):
        parent[tokens[-1]] = [f"dn pl {next(_PLATES)}" for _ in current]
    else:
        parent[tokens[-1]] = f"dn pl {next(_PLATES)}"
    return document


def page_fields(page: Page, example: dict[str, Any]) -> dict[str, str]:
    """The page's controls filled in as the example says (lists: one input per entry)."""
    values = displayed_values(page, example)
    return {name: value for name, value in values.items() if value != ""}
