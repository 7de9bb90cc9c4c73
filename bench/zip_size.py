"""Row 6: the deployment zip from `chalice package`, its size and what must not be inside.

Built with ``scripts.package.package("prod", <temp dir>, lint=False)`` exactly as ``make
package`` does (minus cfn-lint; it downloads Linux wheels, ~40 s). In ``--quick`` mode only,
``PERMIT_BENCH_SKIP_PACKAGE=1`` skips it and the rows say SKIPPED, and
``PERMIT_BENCH_PACKAGE_DIR`` names a package already built by ``make package`` (the test
suite builds one per run and hands it over).

Test and dev packages: any top-level entry (package, module or ``*.dist-info``/``*.data``
folder) named after the dev dependency group, its test/tool dependencies, or our own tests,
scripts and bench. boto3/botocore are among them on purpose: Lambda provides them
(requirements.txt explains why they must not be bundled). Jinja2 and MarkupSafe are not:
the pages are rendered on the server since issue 10, so they are runtime dependencies.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from pathlib import Path

from bench.local_service import LocalService
from bench.plan import SKIP_PACKAGE_ENV, Plan
from bench.rows import Row, Spec, Target

__all__ = ["DEV_PACKAGES", "SPECS", "dev_entries", "run"]

SPECS = (
    Spec("6-zip-size", "deployment zip size (chalice package, prod)", Target("<=", 15, " MB")),
    Spec("6-zip-dev", "test or dev packages inside the zip", Target("==", 0)),
)
DEV_PACKAGES = frozenset(
    {
        "moto",
        "pytest",
        "_pytest",
        "pluggy",
        "iniconfig",
        "hypothesis",
        "sortedcontainers",
        "mypy",
        "mypy_extensions",
        "mypyc",
        "ruff",
        "cfnlint",
        "cfn_lint",
        "boto3",
        "botocore",
        "s3transfer",
        "jmespath",
        "werkzeug",
        "responses",
        "xmltodict",
        "tests",
        "scripts",
        "bench",
    }
)
_DIST_SUFFIX = re.compile(r"-[^-]+\.(dist-info|data|egg-info)$")


def _top_level_name(entry: str) -> str:
    name = _DIST_SUFFIX.sub("", entry.split("/", 1)[0]).split(".", 1)[0]
    return name.lower().replace("-", "_")


def dev_entries(names: list[str]) -> list[str]:
    """The zip's top-level entries that belong to test or dev packages."""
    tops = sorted({name.split("/", 1)[0] for name in names})
    return [top for top in tops if _top_level_name(top) in DEV_PACKAGES]


def _measure(archive: Path) -> tuple[int, list[str], int]:
    with zipfile.ZipFile(archive) as opened:
        names = opened.namelist()
        uncompressed = sum(info.file_size for info in opened.infolist())
    return archive.stat().st_size, names, uncompressed


def run(plan: Plan, service: LocalService) -> list[Row]:
    del service
    if not plan.package:
        reason = f"{SKIP_PACKAGE_ENV}=1: packaging skipped in --quick mode"
        return [spec.skipped(reason) for spec in SPECS]
    if plan.quick and plan.prebuilt_package:
        size, names, uncompressed = _measure(Path(plan.prebuilt_package) / "deployment.zip")
    else:
        from scripts.package import package

        with tempfile.TemporaryDirectory(prefix="permit-bench-package-") as tmp:
            out = package("prod", Path(tmp) / "out", lint=False)
            size, names, uncompressed = _measure(out / "deployment.zip")
    megabytes = size / (1024 * 1024)
    found = dev_entries(names)
    return [
        SPECS[0].row(
            megabytes,
            f"{megabytes:.2f} MB",
            f"none (uncompressed: {uncompressed / (1024 * 1024):.1f} MB)",
            {"bytes": float(size), "uncompressed_bytes": float(uncompressed)},
        ),
        SPECS[1].row(
            float(len(found)),
            f"{len(found)}" + (f" ({', '.join(found)})" if found else ""),
            f"none ({len(names)} files checked)",
            {"entries": float(len(found))},
        ),
    ]
