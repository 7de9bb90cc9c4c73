"""Run the test suite as two pytest processes side by side: the browser half and the rest.

Why two processes: each pytest process serves moto's DynamoDB (and the stream drains) from
threads of its own interpreter, so one process keeps one core busy at most while the other
core waits for Chromium and ``chalice local``. The e2e half (live services, browsers) and
the unit + integration half share no fixture and no table, so running them side by side
uses both cores of the CI machine and gives each half its own moto backend.

The e2e half's output goes to ``build/test-e2e.log`` and is printed when both are done; the
exit status is the first non-zero one. Arguments are passed to a single plain pytest run
instead (``make test PYTEST_ARGS="tests/unit -x"``), for targeted runs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
E2E = "tests/e2e"


def main(argv: list[str]) -> int:
    pytest = [sys.executable, "-m", "pytest"]
    if argv:
        return subprocess.call([*pytest, *argv], cwd=ROOT)
    log_path = ROOT / "build" / "test-e2e.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        e2e = subprocess.Popen([*pytest, E2E], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            rest = subprocess.call([*pytest, "tests", f"--ignore={E2E}"], cwd=ROOT)
        finally:
            e2e_status = e2e.wait()
    print(f"\n===== {E2E} (run alongside, output from {log_path.relative_to(ROOT)}) =====")
    sys.stdout.write(log_path.read_text(encoding="utf-8", errors="replace"))
    return rest or e2e_status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
