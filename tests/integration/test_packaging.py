"""`make package`: the zip is what Lambda's python3.13 will run, and nothing else.

Builds for real once per test run (the session fixture ``packaged``: `chalice package` with
the merge template, which downloads Linux wheels, then the wheel checks, the trimming and
cfn-lint), then opens the zip and runs an extracted copy of it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from email.parser import HeaderParser
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from bench.lambda_events import rest_event
from scripts.lambda_zip import UNUSED, compatible_tag
from tests.conftest import REPO_ROOT
from tests.integration import pdf_tools

# The Lambda runtime provides these (requirements.txt leaves them out on purpose).
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")


def _names(packaged: Path) -> list[str]:
    with zipfile.ZipFile(packaged / "deployment.zip") as archive:
        return archive.namelist()


def test_zip_contains_forms_and_templates(packaged: Path) -> None:
    names = set(_names(packaged))
    for schema in (REPO_ROOT / "schemas").rglob("*.json"):
        assert str(schema.relative_to(REPO_ROOT)) in names
    assert "pdf_templates/resident-parking-permit.pdf" in names
    assert "pdf_templates/fonts/DejaVuSans-Bold.ttf" in names
    assert "pdf_templates/fonts/LICENSE" in names  # the font licence travels with the font
    assert "app.py" in names
    for officer_file in ("verify.html", "app.js", "officer-sw.js", "manifest.webmanifest"):
        assert f"chalicelib/web/static/officer/{officer_file}" in names
    # the QR decoder from npm, at the same path below app.py as in the repo
    assert "node_modules/jsqr/dist/jsQR.js" in names
    assert "node_modules/jsqr/LICENSE" in names


def test_zip_has_no_test_or_dev_packages(packaged: Path) -> None:
    top_level = {name.split("/", 1)[0] for name in _names(packaged)}
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
        "packaging",
    }
    assert top_level.isdisjoint(forbidden), sorted(top_level & forbidden)


def test_zip_is_within_the_20_mb_budget(packaged: Path) -> None:
    assert (packaged / "deployment.zip").stat().st_size <= 20 * 1024 * 1024


def test_every_wheel_in_the_zip_is_manylinux_or_pure_for_cp313(packaged: Path) -> None:
    """Read the WHEEL files themselves: a wheel built on this machine is linux_x86_64."""
    with zipfile.ZipFile(packaged / "deployment.zip") as archive:
        wheels = [name for name in archive.namelist() if name.endswith(".dist-info/WHEEL")]
        tags = {
            name: HeaderParser().parsestr(archive.read(name).decode()).get_all("Tag") or []
            for name in wheels
        }
    assert len(wheels) >= 10, wheels  # pydantic, cryptography, pillow, ... all came as wheels
    for name, wheel_tags in tags.items():
        assert wheel_tags, name
        assert any(compatible_tag(tag) for tag in wheel_tags), (name, wheel_tags)
        assert not any(tag.endswith("-linux_x86_64") for tag in wheel_tags), (name, wheel_tags)


def test_unused_files_are_stripped_and_time_zones_bundled(packaged: Path) -> None:
    names = _names(packaged)
    for unused in UNUSED:
        assert not [name for name in names if fnmatchcase(name, unused.pattern)], unused
    assert "tzdata/zoneinfo/Europe/Berlin" in names
    assert any(name.startswith("tzdata-") and name.endswith(".dist-info/WHEEL") for name in names)


def _runtime_boto3(tmp_path: Path) -> Path:
    """A folder with boto3 and its dependencies only, standing in for Lambda's runtime copy."""
    import boto3

    site = Path(boto3.__file__).parents[1]
    folder = tmp_path / "runtime"
    folder.mkdir()
    for name in RUNTIME_PROVIDED:
        (folder / name).symlink_to(site / name)
    return folder


def test_the_extracted_zip_runs_on_python_3_13_and_renders_a_permit(
    packaged: Path, tmp_path: Path
) -> None:
    """No site-packages: everything but boto3 must come from the zip, as on Lambda."""
    extracted = tmp_path / "task"
    with zipfile.ZipFile(packaged / "deployment.zip") as archive:
        archive.extractall(extracted)
    event = tmp_path / "event.json"
    event.write_text(json.dumps(rest_event("GET", "/api/forms")))
    pdf_file = tmp_path / "permit.pdf"
    probe = Path(__file__).with_name("lambda_probe.py")
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            str(probe),
            str(extracted),
            str(_runtime_boto3(tmp_path)),
            str(event),
            str(pdf_file),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-4000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])  # after the app's JSON log lines
    assert seen["python"] == [3, 13]
    assert seen["status"] == 200, seen["body"]
    assert "resident-parking-permit" in seen["body"]
    for module, origin in seen["origins"].items():
        assert origin.startswith(str(extracted)), (module, origin)
    boto_dir = str(tmp_path / "runtime")
    for module, origin in seen["module_files"].items():
        if origin and "site-packages" in origin:
            pytest.fail(f"{module} came from {origin}, not from the zip")
        if origin and origin.startswith(boto_dir):
            assert module in {n.removesuffix(".py") for n in RUNTIME_PROVIDED}, module
    assert seen["zone_file"].startswith(str(extracted / "tzdata"))
    assert seen["berlin_day"] == "2026-07-01"
    if pdf_tools.missing_tools():
        pytest.fail(f"PDF tools missing: {pdf_tools.missing_tools()} (make system-deps)")
    text = pdf_tools.pdftotext(pdf_file.read_bytes())
    assert "Łukasz Öztürk" in text
    assert "2026-0000-0000" in text


def test_every_function_runs_on_python_3_13(packaged: Path) -> None:
    """The runtime follows the packaging interpreter; python3.11 can no longer be deployed."""
    template = json.loads((packaged / "sam.json").read_text())
    runtimes = {
        resource["Properties"]["Runtime"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    assert runtimes == {"python3.13"}


GATEWAY_ANSWERS = {
    # What API Gateway answers itself, before the Lambda: each must be a problem too.
    "MISSING_AUTHENTICATION_TOKEN": 404,  # unknown path, or a method the path lacks
    "RESOURCE_NOT_FOUND": 404,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "REQUEST_TOO_LARGE": 413,
    "THROTTLED": 429,
    "QUOTA_EXCEEDED": 429,
    "ACCESS_DENIED": 403,
    "INTEGRATION_TIMEOUT": 504,
    "DEFAULT_4XX": None,  # any other 4xx: the status is API Gateway's, the body omits it
    "DEFAULT_5XX": None,
}


def test_api_gateway_answers_are_problems_with_the_security_headers(packaged: Path) -> None:
    """Issue 9 item 8 in the deployment: Gateway Responses in the API definition itself.

    In the definition (not as separate GatewayResponse resources), so the stage deployment
    that SAM makes from it carries them; a separate resource needs a redeployment first.
    """
    from chalicelib.web.middleware import DEFAULT_CSP
    from chalicelib.web.problems import PROBLEM_JSON, TYPE_BASE

    template = json.loads((packaged / "sam.json").read_text())
    body = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    responses = body["x-amazon-apigateway-gateway-responses"]
    assert set(responses) == set(GATEWAY_ANSWERS)
    not_found = json.loads(
        responses["MISSING_AUTHENTICATION_TOKEN"]["responseTemplates"][PROBLEM_JSON]
    )
    assert not_found == {
        "type": TYPE_BASE + "not-found",
        "title": "Nicht gefunden / Not found",
        "status": 404,
    }
    for kind, status in GATEWAY_ANSWERS.items():
        response = responses[kind]
        assert response.get("statusCode") == (str(status) if status else None), kind
        headers = response["responseParameters"]
        assert headers["gatewayresponse.header.Content-Type"] == f"'{PROBLEM_JSON}'"
        assert headers["gatewayresponse.header.X-Content-Type-Options"] == "'nosniff'"
        assert headers["gatewayresponse.header.Cache-Control"] == "'no-store'"
        assert headers["gatewayresponse.header.Content-Security-Policy"] == f"'{DEFAULT_CSP}'"
        templates = response["responseTemplates"]
        assert set(templates) == {PROBLEM_JSON, "application/json"}
        for text in templates.values():
            problem = json.loads(text)
            assert problem["type"].startswith(TYPE_BASE) and problem["title"], kind
            assert problem.get("status") == status, kind


def test_the_prod_template_runs_stripe_with_its_keys_in_ssm(packaged: Path) -> None:
    """Stripe's keys are SSM parameters the API and the reconciliation Lambda may read."""
    template = json.loads((packaged / "sam.json").read_text())
    parameters = template["Parameters"]
    assert parameters["PaymentProvider"]["AllowedValues"] == ["stripe"]  # never the sandbox
    assert not {"StripeSecretKey", "StripeWebhookSecrets"} & set(parameters)
    resources = template["Resources"]
    for function in ("APIHandler", "ReconcilePayments"):
        variables = resources[function]["Properties"]["Environment"]["Variables"]
        assert variables["PERMIT_PAYMENT_PROVIDER"] == {"Ref": "PaymentProvider"}
        assert "stripe-secret-key" in variables["PERMIT_SECRET_NAMES"].split(",")
        assert not any(name.startswith("PERMIT_STRIPE_SECRET") for name in variables)
        assert "PERMIT_STRIPE_API_BASE" not in variables  # never an emulator in prod
    reconcile = resources["ReconcilePayments"]["Properties"]
    assert reconcile["Timeout"] == 120
    assert reconcile["Role"] == {"Fn::GetAtt": ["ReconcilePaymentsRole", "Arn"]}


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
