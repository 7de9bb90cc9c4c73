"""`make check-forms`: everything that could go wrong with a form after payment, found now.

For every forms folder (``schemas/`` and each demo city's ``cities/<city>/schemas/``) it
loads the forms the way the service does (meta-schema, zone map, form checks, document
check against the PDF templates), then checks each example against the rules *as of
today* (an example whose start date has passed is refused), and reports every problem with
the file and the JSON pointer. When all is well it renders a preview PDF per form into
``build/preview/`` and prints, per example, the fee under every fee table that is in force
or announced, with how it was computed. Exit code 1 on any problem.

The templates themselves (``pdf_templates/*.json``) are checked against their descriptions
too: a template PDF that differs from a fresh build of its description is reported.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path

from chalicelib.config import APP_ROOT, DEFAULT_AUTHORITY
from chalicelib.domain.dates import berlin_today
from chalicelib.domain.fees import format_cents
from chalicelib.domain.forms import FormDefinition
from chalicelib.domain.records import PermitSummary
from chalicelib.domain.rules import normalise_document, resolve_zone
from chalicelib.services.document_check import document_check
from chalicelib.services.form_registry import FormDefinitionError, FormRegistry

__all__ = ["check", "fee_table", "form_dirs", "main", "render_previews"]


def form_dirs(resources: Path = APP_ROOT) -> list[Path]:
    """The default city's forms and every demo city's."""
    return [resources / "schemas", *sorted((resources / "cities").glob("*/schemas"))]


def _registry(schemas: Path, resources: Path, authority: str) -> FormRegistry:
    return FormRegistry(
        schemas, document_check=document_check(resources / "pdf_templates", authority)
    )


def check(
    resources: Path = APP_ROOT, today: date | None = None, authority: str = DEFAULT_AUTHORITY
) -> list[str]:
    """Every problem of every forms folder under ``resources``, as ``file: at 'pointer': ...``."""
    day = today or berlin_today(datetime.now(UTC))
    problems: list[str] = []
    for schemas in form_dirs(resources):
        found: Iterable[FormDefinitionError] = _registry(schemas, resources, authority).full_check(
            day
        )
        problems += [_named(error, resources) for error in found]
    return problems


def _named(error: FormDefinitionError, resources: Path) -> str:
    try:
        name = error.file.relative_to(resources / "schemas")
    except ValueError:
        name = (
            error.file.relative_to(resources)
            if error.file.is_relative_to(resources)
            else error.file
        )
    return f"{name}: at '{error.pointer or '/'}': {error.problem}"


def _sample_permit(
    form: FormDefinition, data: dict[str, object], zone: str, today: date
) -> PermitSummary:
    start, end = form.validity_in(data)
    return PermitSummary(
        serial=0,
        number=f"{today.year}-0000-0000",
        zone=zone,
        plates=form.plates_in(data),
        valid_from=start,
        valid_to=end,
        token="1" + "0" * 207,  # the length of a real one-plate token; not signed
        issued_at=datetime(today.year, today.month, today.day, tzinfo=UTC),
        permit_type=form.permit.permit_type,
    )


def _example_document(form: FormDefinition, index: int, today: date) -> dict[str, object]:
    data = normalise_document(form, copy.deepcopy(form.schema["examples"][index]))
    parent_path, _, key = form.permit.start_date.rpartition("/")
    parent: object = data
    for part in [p for p in parent_path.split("/") if p]:
        parent = parent[part] if isinstance(parent, dict) else None
    if isinstance(parent, dict):
        parent.setdefault(key, today.isoformat())
    return data


def render_previews(
    out_dir: Path, resources: Path = APP_ROOT, authority: str = DEFAULT_AUTHORITY
) -> list[Path]:
    """One preview PDF per form (its first example, a sample permit), every forms folder."""
    from chalicelib.adapters.pdf.renderer import PdfTemplateRenderer
    from chalicelib.services.documents import DocumentService

    today = berlin_today(datetime.now(UTC))
    renderer = PdfTemplateRenderer(resources / "pdf_templates")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for schemas in form_dirs(resources):
        registry = FormRegistry(schemas)
        documents = DocumentService(
            None,  # type: ignore[arg-type]  # preview renders only; no access checks
            registry,
            renderer,
            "https://permits.example.de",
            authority,
        )
        prefix = "" if schemas == resources / "schemas" else f"{schemas.parent.name}-"
        for form in registry.load_all().values():
            data = _example_document(form, 0, today)
            zone_map = registry.zone_map
            zone = resolve_zone(form, data, zone_map).zone if zone_map else None
            permit = _sample_permit(form, data, zone or "A", today)
            target = out_dir / f"{prefix}{form.id}.preview.pdf"
            target.write_bytes(documents.render(form, data, permit))
            written.append(target)
    return written


def fee_table(form: FormDefinition, today: date) -> list[str]:
    """Per example: the fee under the table in force today and under every announced one."""
    lines = []
    current = form.fees.table_on(today)
    tables = [t for t in form.fees.tables if t is current or t.effective_from > today]
    for index in range(len(form.schema["examples"])):
        data = _example_document(form, index, today)
        for table in tables:
            result = form.fees.compute_with(table, data)
            when = "in force" if table is current else "announced"
            if result is None:
                lines.append(f"  example {index}, from {table.effective_from} ({when}): NO FEE")
                continue
            lines.append(
                f"  example {index}, from {table.effective_from} ({when}): "
                f"{format_cents(result.amount_cents, 'de')} = {result.breakdown['explanation']['de']}"
            )
    return lines


def main() -> int:
    problems = check()
    for problem in problems:
        print(f"FORM ERROR {problem}", file=sys.stderr)
    from scripts.build_templates import main as build_templates

    if build_templates(["--check"]) != 0:
        problems.append("a template PDF differs from its description: run `make templates`")
        print(
            "FORM ERROR a template PDF differs from its description: run `make templates`",
            file=sys.stderr,
        )
    if problems:
        return 1
    today = berlin_today(datetime.now(UTC))
    for schemas in form_dirs():
        for form in FormRegistry(schemas).load_all().values():
            print(
                f"{schemas.relative_to(APP_ROOT)}/{form.id}.json: fees ({form.fees.rounding_text()['de']})"
            )
            for line in fee_table(form, today):
                print(line)
    for preview in render_previews(APP_ROOT / "build" / "preview"):
        print(f"preview: {preview.relative_to(APP_ROOT)}")
    print("all forms OK")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
