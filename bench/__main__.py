"""`make bench`: every benchmark, printed as a table and written to bench/results.md.

    .venv/bin/python -m bench                 # full run, writes bench/results.md
    .venv/bin/python -m bench --quick         # every benchmark once, tiny counts, no file
    .venv/bin/python -m bench --quick --json out.json   # what the smoke test reads

Exit status: 0 when every row was produced (PASS, MISS, INFO or SKIPPED), 1 when a benchmark
failed (ERROR). A missed target is reported, not a failure of the command.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bench.machine import describe
from bench.plan import Plan
from bench.report import markdown, text_table
from bench.runner import run_all

RESULTS = Path(__file__).resolve().parent / "results.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny counts; no results.md")
    parser.add_argument("--markdown", type=Path, help=f"write the report here (full: {RESULTS})")
    parser.add_argument("--json", type=Path, help="write the rows as JSON here")
    args = parser.parse_args(argv)

    plan = Plan.quick_run() if args.quick else Plan.full()
    machine = describe()
    rows = run_all(plan, lambda message: print(message, file=sys.stderr, flush=True))
    machine["load average (1/5/15 min) at end"] = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(text_table(rows))

    target = args.markdown or (None if args.quick else RESULTS)
    if target is not None:
        mode = "--quick" if args.quick else "full run"
        target.write_text(markdown(rows, machine, mode), encoding="utf-8")
        print(f"\nwritten: {target}")
    if args.json is not None:
        payload = {"machine": machine, "quick": args.quick, "rows": [r.as_json() for r in rows]}
        args.json.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return 1 if any(row.status == "ERROR" for row in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
