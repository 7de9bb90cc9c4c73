"""Runs every benchmark in order against one local service; a failure becomes ERROR rows.

Order: the fresh-process cold starts first (nothing else running), the CPU-bound
micro-benchmarks, the in-process handlers against the DynamoDB server, the request counts,
and packaging last (network and CPU heavy).
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable, Sequence
from types import ModuleType

from bench import (
    cold_start,
    local_restart,
    officer,
    pdf_document,
    permit_lifecycle,
    request_counts,
    staff_search,
    submission,
    tokens,
    verify_endpoint,
    web_pages,
    zip_size,
)
from bench.local_service import LocalService
from bench.plan import Plan
from bench.rows import Row, Spec

__all__ = ["BENCHMARKS", "expected_keys", "run_all"]

BENCHMARKS: tuple[ModuleType, ...] = (
    cold_start,
    pdf_document,
    tokens,
    verify_endpoint,
    staff_search,
    permit_lifecycle,
    submission,
    request_counts,
    local_restart,
    web_pages,
    officer,
    zip_size,
)


def expected_keys() -> list[str]:
    return [spec.key for module in BENCHMARKS for spec in _specs(module)]


def _specs(module: ModuleType) -> Sequence[Spec]:
    specs: Sequence[Spec] = module.SPECS
    return specs


def _run_one(module: ModuleType, plan: Plan, service: LocalService) -> list[Row]:
    run: Callable[[Plan, LocalService], list[Row]] = module.run
    try:
        rows = run(plan, service)
    except Exception as error:  # any failure becomes the rows' ERROR
        traceback.print_exc(file=sys.stderr)
        reason = f"{type(error).__name__}: {error}".splitlines()[0][:300]
        return [spec.error(reason) for spec in _specs(module)]
    produced = {row.key for row in rows}
    missing = [
        spec.error("the benchmark did not produce this row")
        for spec in _specs(module)
        if spec.key not in produced
    ]
    return rows + missing


def run_all(plan: Plan, progress: Callable[[str], None] = print) -> list[Row]:
    rows: list[Row] = []
    with LocalService() as service:
        for module in BENCHMARKS:
            name = module.__name__.rpartition(".")[2]
            progress(f"[bench] {name} ...")
            started = time.perf_counter()
            rows.extend(_run_one(module, plan, service))
            progress(f"[bench] {name} done in {time.perf_counter() - started:.1f} s")
    return rows
