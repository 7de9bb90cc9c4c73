"""`make package`: the zip carries the forms and templates and nothing for tests or dev.

Builds for real with `chalice package` and the merge template (downloads Linux wheels from the
package registry, ~40 s), then `cfn-lint` checks the template (package() fails otherwise).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from scripts.package import package

    return package("prod", tmp_path_factory.mktemp("package") / "out", lint=True)


def test_zip_contains_forms_and_templates(packaged: Path) -> None:
    names = set(zipfile.ZipFile(packaged / "deployment.zip").namelist())
    for schema in (REPO_ROOT / "schemas").rglob("*.json"):
        assert str(schema.relative_to(REPO_ROOT)) in names
    for template in (REPO_ROOT / "pdf_templates").rglob("*"):
        if template.is_file():
            assert str(template.relative_to(REPO_ROOT)) in names
    assert "app.py" in names
    for officer_file in ("verify.html", "app.js", "officer-sw.js", "manifest.webmanifest"):
        assert f"chalicelib/web/static/officer/{officer_file}" in names
    # the QR decoder from npm, at the same path below app.py as in the repo
    assert "node_modules/jsqr/dist/jsQR.js" in names
    assert "node_modules/jsqr/LICENSE" in names


def test_zip_has_no_test_or_dev_packages(packaged: Path) -> None:
    names = zipfile.ZipFile(packaged / "deployment.zip").namelist()
    top_level = {name.split("/", 1)[0] for name in names}
    forbidden = {
        "moto",
        "pytest",
        "_pytest",
        "tests",
        "cfnlint",
        "hypothesis",
        "mypy",
        "ruff",
        "boto3",
        "botocore",
        "scripts",
        "bench",
    }
    assert top_level.isdisjoint(forbidden), sorted(top_level & forbidden)


def test_zip_is_within_the_20_mb_budget(packaged: Path) -> None:
    assert (packaged / "deployment.zip").stat().st_size <= 20 * 1024 * 1024


def test_template_scopes_role_to_the_table_and_wires_environment(packaged: Path) -> None:
    template = json.loads((packaged / "sam.json").read_text())
    resources = template["Resources"]
    assert resources["PermitTable"]["Properties"]["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True
    }
    assert (
        resources["PermitTable"]["Properties"]["TimeToLiveSpecification"]["AttributeName"]
        == "expires_at"
    )
    roles = [r for r in resources.values() if r["Type"] == "AWS::IAM::Role"]
    assert roles
    for role in roles:
        for policy in role["Properties"]["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                if any(a.startswith("dynamodb:") for a in statement["Action"]):
                    assert statement["Resource"] != "*"
                    assert "PermitTable" in json.dumps(statement["Resource"])
    functions = [r for r in resources.values() if r["Type"] == "AWS::Serverless::Function"]
    for function in functions:
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["PERMIT_TABLE_NAME"] == {"Ref": "PermitTable"}


def test_api_gateway_treats_every_type_as_binary_so_browsers_get_the_pdf(packaged: Path) -> None:
    """API Gateway converts by the FIRST Accept type; a browser's is text/html, not */*.

    With '*/*' the base64 PDF from Lambda is always decoded; request bodies then arrive
    base64-encoded, which Chalice's Request decodes (isBase64Encoded).
    """
    template = json.loads((packaged / "sam.json").read_text())
    body = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    assert body["x-amazon-apigateway-binary-media-types"] == ["*/*"]


def test_every_function_runs_on_python_3_13(packaged: Path) -> None:
    """The runtime follows the packaging interpreter; python3.11 can no longer be deployed."""
    template = json.loads((packaged / "sam.json").read_text())
    runtimes = {
        resource["Properties"]["Runtime"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    assert runtimes == {"python3.13"}


def test_zip_ships_the_pages_assets_with_kern_licence_and_site_config(packaged: Path) -> None:
    names = set(zipfile.ZipFile(packaged / "deployment.zip").namelist())
    manifest = json.loads((REPO_ROOT / "chalicelib/web/assets/dist/manifest.json").read_text())
    for hashed in manifest.values():
        assert f"chalicelib/web/assets/dist/{hashed}" in names
    assert "chalicelib/web/assets/dist/KERN-LICENSE.md" in names  # EUPL-1.2 travels along
    assert "chalicelib/web/templates/base.html" in names
    assert "config/site.json" in names


def test_stream_handler_reads_the_tables_stream_with_its_own_scoped_role(packaged: Path) -> None:
    template = json.loads((packaged / "sam.json").read_text())
    resources = template["Resources"]
    table = resources["PermitTable"]["Properties"]
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    function = resources["TableStream"]["Properties"]
    (event,) = function["Events"].values()
    assert event["Type"] == "DynamoDB"
    assert event["Properties"]["Stream"] == {"Fn::GetAtt": ["PermitTable", "StreamArn"]}
    assert function["Role"] == {"Fn::GetAtt": ["TableStreamRole", "Arn"]}
    statements = resources["TableStreamRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"
    ]
    stream = next(s for s in statements if "dynamodb:GetRecords" in s["Action"])
    assert stream["Resource"] == [{"Fn::GetAtt": ["PermitTable", "StreamArn"]}]
    assert function["Environment"]["Variables"]["PERMIT_MAIL_BACKEND"] == "ses"
