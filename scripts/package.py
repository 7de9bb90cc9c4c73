"""`make package`: the deployable CloudFormation template and zip, with the forms inside.

`chalice package` ships only app.py, chalicelib/, vendor/ and requirements.txt. vendor/'s
contents land at the zip's root, so copying schemas/ and pdf_templates/ into a build copy's
vendor/ puts them beside app.py in Lambda exactly where they are in the repo (APP_ROOT).
The forms are checked first: a broken form never ships. The build fails when Chalice could
not install a dependency or when the zip holds anything Lambda's python3.13 cannot load
(scripts/lambda_zip.py); files nothing on Lambda opens are removed. cfn-lint checks the
template with no check ignored.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from chalicelib.config import APP_ROOT
from scripts.lambda_zip import PackageError, check_zip, missing_in_chalice_output, strip_unused

BUILD = APP_ROOT / "build"
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")


def stage_sources(target: Path) -> Path:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copy2(APP_ROOT / "app.py", target / "app.py")
    shutil.copy2(APP_ROOT / "requirements.txt", target / "requirements.txt")
    # chalicelib/ includes the built assets (web/assets/dist: CSS, fonts, KERN's licence)
    shutil.copytree(APP_ROOT / "chalicelib", target / "chalicelib", ignore=_IGNORE)
    chalice_dir = target / ".chalice"
    chalice_dir.mkdir()
    for config in (APP_ROOT / ".chalice").glob("*.json"):
        shutil.copy2(config, chalice_dir / config.name)
    vendor = target / "vendor"
    shutil.copytree(APP_ROOT / "schemas", vendor / "schemas", ignore=_IGNORE)
    shutil.copytree(APP_ROOT / "pdf_templates", vendor / "pdf_templates", ignore=_IGNORE)
    shutil.copytree(APP_ROOT / "config", vendor / "config", ignore=_IGNORE)
    # Browser assets from npm that the service serves itself (the officer app's QR decoder),
    # with their licence, at the same path below app.py as in the repo.
    jsqr = APP_ROOT / "node_modules" / "jsqr"
    if not (jsqr / "dist" / "jsQR.js").is_file():
        raise SystemExit("node_modules/jsqr is missing: run `npm ci` (the Makefile does)")
    (vendor / "node_modules" / "jsqr" / "dist").mkdir(parents=True)
    shutil.copy2(jsqr / "dist" / "jsQR.js", vendor / "node_modules" / "jsqr" / "dist" / "jsQR.js")
    shutil.copy2(jsqr / "LICENSE", vendor / "node_modules" / "jsqr" / "LICENSE")
    return target


def package(stage: str = "prod", out: Path = BUILD / "package", lint: bool = True) -> Path:
    from scripts.check_forms import check

    problems = check()
    if problems:
        raise SystemExit("forms are broken:\n" + "\n".join(problems))
    source = stage_sources(out.parent / f"{out.name}-src")  # own staging dir per output
    if out.exists():
        shutil.rmtree(out)
    chalice = Path(sys.executable).parent / "chalice"
    done = subprocess.run(
        [
            str(chalice),
            "package",
            "--stage",
            stage,
            "--merge-template",
            str(APP_ROOT / "infra" / "resources.json"),
            str(out),
        ],
        cwd=source,
        check=False,
        capture_output=True,
        text=True,
        # chalice needs a region to name ARNs in the template; nothing is called in AWS.
        env={
            **os.environ,
            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-central-1"),
        },
    )
    output = done.stdout + done.stderr
    print(output, end="", file=sys.stderr)
    if done.returncode != 0:
        raise PackageError(f"chalice package failed (exit {done.returncode})")
    missing = missing_in_chalice_output(output)
    if missing:  # Chalice only warns, leaves them out of the zip and exits 0
        raise PackageError("chalice could not install: " + ", ".join(missing))
    archive = out / "deployment.zip"
    problems = check_zip(archive, source / "requirements.txt")
    if problems:
        raise PackageError("the zip would fail on Lambda:\n  " + "\n  ".join(problems))
    strip_unused(archive)
    if lint:
        cfn_lint = Path(sys.executable).parent / "cfn-lint"
        linted = subprocess.run(
            [str(cfn_lint), "--", str(out / "sam.json")],
            capture_output=True,
            text=True,
            check=False,
        )
        if linted.returncode != 0:
            raise PackageError("cfn-lint rejects the template:\n" + linted.stdout + linted.stderr)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--out", type=Path, default=BUILD / "package")
    args = parser.parse_args()
    try:
        out = package(args.stage, args.out)
    except PackageError as error:
        print(f"make package: {error}", file=sys.stderr)
        return 1
    print(
        f"packaged into {out}: sam.json + deployment.zip ({(out / 'deployment.zip').stat().st_size} bytes)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
