"""`python -m bench --quick` runs every benchmark once, so none of them can rot unnoticed.

No timing is asserted (the machine is shared): only that every row of issue 5's table is
produced, with a finite numeric value and a verdict. The quick run starts its own moto
server and measures the zip of the suite's one package build (session fixture ``packaged``,
handed over as PERMIT_BENCH_PACKAGE_DIR), so this lives with the integration tests. It
writes no bench/results.md.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

ROWS = (
    "1-cold-submit",
    "1-cold-verify",
    "1-import-app",
    "2-median",
    "2-p99",
    "2-bytes",
    "2-speedup",
    "3-tokens",
    "3-endpoint",
    "12-search-number",
    "12-search-email",
    "15-lifecycle-reminders",
    "15-lifecycle-idle",
    "4-submit",
    "5-submit",
    "5-checkout",
    "5-webhook",
    "5-status",
    "5-pdf",
    "5-verify",
    "10a-render",
    "10b-html",
    "10c-cache",
    "10d-slow3g",
    "6-zip-size",
    "6-zip-dev",
    "7-restart",
    "7-officer-verify",
    "7-status-list-size",
    "7-status-list-generate",
    "7-officer-size",
)
PACKAGING_ROWS = ("6-zip-size", "6-zip-dev")


def test_quick_bench_produces_every_row_with_a_number(tmp_path: Path, packaged: Path) -> None:
    out = tmp_path / "bench.json"
    results = REPO_ROOT / "bench" / "results.md"
    before = results.read_bytes() if results.exists() else None
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, "PERMIT_BENCH_PACKAGE_DIR": str(packaged)},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    rows = {row["key"]: row for row in json.loads(out.read_text())["rows"]}
    assert sorted(rows) == sorted(ROWS)
    skip_packaging = os.environ.get("PERMIT_BENCH_SKIP_PACKAGE", "") in ("1", "true", "yes")
    for key in ROWS:
        row = rows[key]
        if key in PACKAGING_ROWS and skip_packaging:
            assert row["status"] == "SKIPPED", row
            continue
        assert row["status"] in ("PASS", "MISS", "INFO"), row
        assert isinstance(row["value"], float) and math.isfinite(row["value"]), row
        assert all(math.isfinite(value) for value in row["figures"].values()), row
        assert row["shown"] and row["baseline"], row
    assert (results.read_bytes() if results.exists() else None) == before, "quick wrote results.md"
