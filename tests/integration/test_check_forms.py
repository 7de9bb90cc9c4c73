"""`make check-forms`: the staff command that vets a form before it is published."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from scripts.check_forms import check, render_previews
from tests.conftest import REPO_ROOT


def _copy_resources(tmp_path: Path) -> Path:
    shutil.copytree(REPO_ROOT / "schemas", tmp_path / "schemas")
    shutil.copytree(REPO_ROOT / "pdf_templates", tmp_path / "pdf_templates")
    return tmp_path


def test_repository_forms_pass() -> None:
    assert check() == []


def test_unmapped_and_unknown_template_fields_are_named(tmp_path: Path) -> None:
    resources = _copy_resources(tmp_path)
    path = resources / "schemas" / "resident-parking-permit.json"
    schema = json.loads(path.read_text())
    fields = schema["x-service"]["document"]["fields"]
    del fields["permit.number"]
    fields["permit.colour"] = "{permit.zone}"
    path.write_text(json.dumps(schema, ensure_ascii=False))
    problems = check(resources)
    assert any("'permit.number' has no mapping" in p for p in problems)
    assert any("/x-service/document/fields/permit.colour" in p for p in problems)


def test_missing_template_is_reported_not_raised(tmp_path: Path) -> None:
    resources = _copy_resources(tmp_path)
    path = resources / "schemas" / "resident-parking-permit.json"
    schema = json.loads(path.read_text())
    schema["x-service"]["document"]["template"] = "no-such-template.pdf"
    path.write_text(json.dumps(schema, ensure_ascii=False))
    problems = check(resources)
    assert len(problems) == 1
    assert "/x-service/document/template" in problems[0]


def test_broken_form_names_file_and_pointer(tmp_path: Path) -> None:
    resources = _copy_resources(tmp_path)
    path = resources / "schemas" / "resident-parking-permit.json"
    schema = json.loads(path.read_text())
    schema["x-service"]["fee"]["amounts_cents"]["12"] = "30 Euro"
    path.write_text(json.dumps(schema, ensure_ascii=False))
    problems = check(resources)
    assert problems == [problems[0]]
    assert problems[0].startswith("resident-parking-permit.json: at '/x-service/fee")


def test_preview_pdf_is_rendered_per_form(tmp_path: Path) -> None:
    written = render_previews(tmp_path / "preview")
    assert [p.name for p in written] == ["resident-parking-permit.preview.pdf"]
    assert written[0].read_bytes().startswith(b"%PDF-")


def test_every_character_a_text_pattern_admits_can_be_printed() -> None:
    """A name the form accepts must print: the PDF font covers every allowed character."""
    import re

    from chalicelib.adapters.pdf.renderer import PdfTemplateRenderer

    renderer = PdfTemplateRenderer(REPO_ROOT / "pdf_templates")
    schema = json.loads((REPO_ROOT / "schemas" / "resident-parking-permit.json").read_text())
    printed = [
        schema["properties"]["applicant"]["properties"]["family_name"],
        schema["properties"]["applicant"]["properties"]["given_names"],
        schema["properties"]["address"]["properties"]["street"],
    ]
    for field in printed:
        pattern = re.compile(field["pattern"])
        allowed = "".join(chr(c) for c in range(0x20, 0x3000) if pattern.match(chr(c)))
        assert len(allowed) > 1000
        assert renderer.unsupported_characters(allowed) == frozenset()
        assert not pattern.match("王")
