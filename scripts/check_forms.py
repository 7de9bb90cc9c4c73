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


def main() -> int:
    problems = check()
    for problem in problems:
        print(f"FORM ERROR {problem}", file=sys.stderr)
    if not problems:
        print("all forms OK")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
