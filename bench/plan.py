"""How much work each benchmark does: the full run, or ``--quick`` (every code path once)."""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["PACKAGE_DIR_ENV", "SKIP_PACKAGE_ENV", "Plan"]

#: Set to 1 to skip `chalice package` (~40 s) in --quick mode only; the full run always packages.
SKIP_PACKAGE_ENV = "PERMIT_BENCH_SKIP_PACKAGE"
#: --quick only: measure the zip `make package` already built there (the test suite's session
#: build) instead of packaging a second time.
PACKAGE_DIR_ENV = "PERMIT_BENCH_PACKAGE_DIR"


@dataclass(frozen=True)
class Plan:
    quick: bool
    cold_start_runs: int
    importtime_runs: int
    pdf_iterations: int
    token_seconds: float
    endpoint_rounds: int
    submission_rounds: int
    warmup: int
    package: bool
    prebuilt_package: str = ""
    officer_rounds: int = 300
    status_entries: int = 2_500
    status_rounds: int = 5

    @classmethod
    def full(cls) -> Plan:
        return cls(
            quick=False,
            cold_start_runs=10,
            importtime_runs=5,
            pdf_iterations=200,
            token_seconds=3.0,
            endpoint_rounds=500,
            submission_rounds=200,
            warmup=20,
            package=True,
        )

    @classmethod
    def quick_run(cls) -> Plan:
        return cls(
            quick=True,
            cold_start_runs=1,
            importtime_runs=1,
            pdf_iterations=1,
            token_seconds=0.05,
            endpoint_rounds=2,
            submission_rounds=2,
            warmup=1,
            package=os.environ.get(SKIP_PACKAGE_ENV, "") not in ("1", "true", "yes"),
            prebuilt_package=os.environ.get(PACKAGE_DIR_ENV, ""),
            officer_rounds=3,
            status_entries=25,
            status_rounds=1,
        )
