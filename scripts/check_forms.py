"""`make check-forms`: load every form in schemas/ the way the service does, and say what is wrong.

Checks the meta-schema, each form's own examples and fee table, and that the document
mapping names exactly the placeholder fields of its PDF template. Exit code 1 on any problem.
"""

from __future__ import annotations

import sys
from pathlib import Path

from chalicelib.config import APP_ROOT
from chalicelib.services.form_registry import FormDefinitionError, FormRegistry


def check(resources: Path = APP_ROOT) -> list[str]:
    problems: list[str] = []
    try:
        forms = FormRegistry(resources / "schemas").load_all()
    except FormDefinitionError as error:
        return [str(error)]
    from chalicelib.adapters.pdf.renderer import PdfTemplateRenderer

    renderer = PdfTemplateRenderer(resources / "pdf_templates")
    for form in forms.values():
        try:
            placeholders = renderer.placeholder_names(form.document.template)
        except (OSError, ValueError) as error:
            problems.append(f"{form.id}.json: at '/x-service/document/template': {error}")
            continue
        mapped = set(form.document.fields)
        for missing in sorted(placeholders - mapped):
            problems.append(f"{form.id}.json: template field {missing!r} has no mapping")
        for unknown in sorted(mapped - placeholders):
            problems.append(
                f"{form.id}.json: at '/x-service/document/fields/{unknown}': not a field of "
                f"{form.document.template}"
            )
    return problems


def render_previews(out_dir: Path, resources: Path = APP_ROOT) -> list[Path]:
    """One preview PDF per form, from its first example, with a sample permit and QR."""
    import copy
    from datetime import UTC, date, datetime

    from chalicelib.adapters.pdf.renderer import PdfTemplateRenderer
    from chalicelib.domain.dates import validity_end
    from chalicelib.domain.pointers import resolve_pointer
    from chalicelib.domain.records import PermitSummary
    from chalicelib.domain.rules import normalise_document
    from chalicelib.services.documents import DocumentService

    registry = FormRegistry(resources / "schemas")
    renderer = PdfTemplateRenderer(resources / "pdf_templates")
    documents = DocumentService(
        None,  # type: ignore[arg-type]  # preview renders only; no access checks
        registry,
        renderer,
        "https://permits.example.de",
        "Stadt Musterstadt – Straßenverkehrsbehörde",
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for form in registry.load_all().values():
        data = normalise_document(form, copy.deepcopy(form.schema["examples"][0]))
        start = date(2026, 1, 1)
        months = int(resolve_pointer(data, form.permit.duration_months))
        permit = PermitSummary(
            serial=0,
            number="2026-0000-0000",
            zone=str(resolve_pointer(data, form.permit.zone)),
            plates=tuple(resolve_pointer(data, form.permit.plates)),
            valid_from=start,
            valid_to=validity_end(start, months),
            token="1" + "0" * 207,  # the length of a real one-plate token; not signed
            issued_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        target = out_dir / f"{form.id}.preview.pdf"
        target.write_bytes(documents.render(form, data, permit))
        written.append(target)
    return written


def main() -> int:
    problems = check()
    for problem in problems:
        print(f"FORM ERROR {problem}", file=sys.stderr)
    if problems:
        return 1
    for preview in render_previews(APP_ROOT / "build" / "preview"):
        print(f"preview: {preview.relative_to(APP_ROOT)}")
    print("all forms OK")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
