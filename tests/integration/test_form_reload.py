"""Forms reload without a restart in the local stage, and a broken save takes nothing down.

A staff member edits ``schemas/*.json`` while ``make run`` serves: the next request sees the
saved file. A file that is broken after a save is reported (in ``GET /api/forms`` and the
log) while its last good version stays published. Lambda never reloads.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from chalicelib.config import APP_ROOT, Settings
from chalicelib.services.form_registry import FormRegistry

RESIDENT = "resident-parking-permit.json"


@pytest.fixture
def schemas(tmp_path: Path) -> Path:
    folder = tmp_path / "schemas"
    shutil.copytree(APP_ROOT / "schemas", folder)
    return folder


def _save(path: Path, text: str) -> None:
    """Write as an editor does; the modification time moves on by a second at least."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, "utf-8")
    later = max(before + 1_000_000_000, path.stat().st_mtime_ns)
    os.utime(path, ns=(later, later))


def _edit(path: Path, change: Any) -> None:
    data = json.loads(path.read_text("utf-8"))
    change(data)
    _save(path, json.dumps(data, ensure_ascii=False))


def _retitle(title: str, version: int) -> Any:
    def change(data: dict[str, Any]) -> None:
        data["x-service"]["title"]["de"] = title
        data["x-service"]["version"] = version

    return change


def test_a_saved_form_is_picked_up_by_the_next_load(schemas: Path) -> None:
    registry = FormRegistry(schemas, reload=True)
    first = registry.get("resident-parking-permit")
    assert first is not None and first.version == 1
    _edit(schemas / RESIDENT, _retitle("Bewohnerparkausweis (neu)", 2))
    second = registry.get("resident-parking-permit")
    assert second is not None
    assert (second.version, second.title["de"]) == (2, "Bewohnerparkausweis (neu)")
    assert registry.validator(second) is not registry.validator(first)
    assert registry.problems == ()


def test_without_reload_the_first_load_stays(schemas: Path) -> None:
    registry = FormRegistry(schemas)
    registry.load_all()
    _edit(schemas / RESIDENT, _retitle("Bewohnerparkausweis (neu)", 2))
    form = registry.get("resident-parking-permit")
    assert form is not None and form.version == 1


def test_a_broken_save_keeps_the_last_good_version_and_says_why(schemas: Path) -> None:
    registry = FormRegistry(schemas, reload=True)
    assert len(registry.load_all()) == 3
    _save(schemas / RESIDENT, '{"x-service": ')  # saved half-way
    forms = registry.load_all()
    assert sorted(forms) == [
        "resident-parking-permit",
        "tradesperson-parking-permit",
        "visitor-parking-permit",
    ]
    (problem,) = registry.problems
    assert problem.file.name == RESIDENT and problem.problem.startswith("not JSON")
    # Fixed again: the problem goes away and the new version is served.
    _edit(schemas / "visitor-parking-permit.json", _retitle("Besucherausweis", 2))
    _save(schemas / RESIDENT, (APP_ROOT / "schemas" / RESIDENT).read_text("utf-8"))
    assert registry.problems == ()
    visitor = registry.get("visitor-parking-permit")
    assert visitor is not None and visitor.title["de"] == "Besucherausweis"


def test_a_new_form_appears_and_a_broken_new_one_is_only_reported(schemas: Path) -> None:
    registry = FormRegistry(schemas, reload=True)
    registry.load_all()
    copy = json.loads((schemas / RESIDENT).read_text("utf-8"))
    copy["x-service"]["id"] = "second-resident-permit"
    copy["x-service"]["permit"]["type"] = 9
    _save(schemas / "second-resident-permit.json", json.dumps(copy, ensure_ascii=False))
    assert "second-resident-permit" in registry.load_all()
    copy["x-service"]["id"] = "third-resident-permit"
    copy["x-service"]["permit"]["type"] = 9  # taken by the second
    _save(schemas / "third-resident-permit.json", json.dumps(copy, ensure_ascii=False))
    assert "third-resident-permit" not in registry.load_all()
    (problem,) = registry.problems
    assert (problem.file.name, problem.pointer) == (
        "third-resident-permit.json",
        "/x-service/permit/type",
    )


def test_a_broken_zone_map_keeps_the_previous_one(schemas: Path) -> None:
    registry = FormRegistry(schemas, reload=True)
    zone_map = registry.zone_map
    assert zone_map is not None
    _save(schemas / "_city" / "zones.json", "[]")
    assert registry.zone_map is zone_map
    assert [p.file.name for p in registry.problems] == ["zones.json"]


def test_the_local_service_reloads_over_http(
    schemas: Path, settings: Settings, dynamodb_client: Any, clock: Any
) -> None:
    from chalice.test import Client

    import app as app_module
    from chalicelib.wiring import Container

    local = replace(settings, stage="local", forms_dir=schemas)
    app_module.set_container(Container(local, dynamodb=dynamodb_client, clock=clock))
    try:
        with Client(app_module.app) as client:
            listed = json.loads(client.http.get("/api/forms").body)
            assert "problems" not in listed
            _edit(schemas / RESIDENT, _retitle("Bewohnerparkausweis (neu)", 2))
            listed = json.loads(client.http.get("/api/forms").body)
            resident = next(f for f in listed["forms"] if f["id"] == "resident-parking-permit")
            assert (resident["version"], resident["title"]["de"]) == (
                2,
                "Bewohnerparkausweis (neu)",
            )
            _save(schemas / "visitor-parking-permit.json", "{")
            response = client.http.get("/api/forms")
            assert response.status_code == 200
            listed = json.loads(response.body)
            assert len(listed["forms"]) == 3
            assert listed["problems"] == [
                {
                    "file": "visitor-parking-permit.json",
                    "pointer": "/",
                    "problem": listed["problems"][0]["problem"],
                }
            ]
            assert listed["problems"][0]["problem"].startswith("not JSON")
            submitted = client.http.post(
                "/api/forms/visitor-parking-permit/applications",
                headers={"Content-Type": "application/json"},
                body=json.dumps(
                    json.loads((APP_ROOT / "schemas" / "visitor-parking-permit.json").read_text())[
                        "examples"
                    ][0]
                ),
            )
            assert submitted.status_code == 201, submitted.body  # the last good version
    finally:
        app_module.set_container(None)


@pytest.mark.parametrize(
    ("stage", "in_lambda", "reloads"),
    [
        ("local", False, True),
        ("local", True, False),
        ("test", False, False),
        ("prod", False, False),
    ],
)
def test_only_the_local_stage_outside_lambda_reloads(
    settings: Settings, stage: str, in_lambda: bool, reloads: bool
) -> None:
    assert replace(settings, stage=stage, in_lambda=in_lambda).forms_reload is reloads
    env = {
        "PERMIT_STAGE": stage,
        "PERMIT_APP_SECRET": "00" * 32,
        "PERMIT_TABLE_NAME": "t",
        "PERMIT_PUBLIC_BASE_URL": "https://permits.example.de",
        "PERMIT_WEBHOOK_SECRETS": "whsec_x",
    }
    if in_lambda:
        env["AWS_LAMBDA_FUNCTION_NAME"] = "permit-service-prod"
    assert Settings.from_env(env).forms_reload is reloads
