"""Row 2: the permit PDF, from :mod:`bench.pdf_render` (another module's measurement).

Our template renderer after warm-up, QR code included, against the same page drawn from
scratch on a ReportLab canvas (the common alternative), interleaved rounds. If that module is
missing or fails, every row of this benchmark is ERROR with the reason.
"""

from __future__ import annotations

from bench.local_service import LocalService
from bench.plan import Plan
from bench.rows import Row, Spec, Target

__all__ = ["SPECS", "run"]

SPECS = (
    Spec(
        "2-median", "permit PDF render after warm-up, QR included: median", Target("<=", 15, " ms")
    ),
    Spec("2-p99", "permit PDF render: p99"),
    Spec("2-bytes", "permit PDF size", Target("<=", 60, " KB")),
    Spec("2-speedup", "permit PDF render speed-up vs ReportLab from scratch", Target(">=", 2, "x")),
)


def run(plan: Plan, service: LocalService) -> list[Row]:
    del service
    from bench.pdf_render import measure

    result = measure(plan.pdf_iterations)
    figures = {name: float(value) for name, value in result.items()}
    median, base_median = figures["median_ms"], figures["baseline_median_ms"]
    speedup = base_median / median
    kb, base_kb = figures["bytes"] / 1024, figures["baseline_bytes"] / 1024
    merge = (
        f"ReportLab overlay + pypdf merge: {figures['pypdf_merge_median_ms']:.1f} ms, "
        f"{figures['pypdf_merge_bytes'] / 1024:.1f} KB"
        if "pypdf_merge_median_ms" in figures and "pypdf_merge_bytes" in figures
        else ""
    )
    from_scratch = "ReportLab page from scratch"
    return [
        SPECS[0].row(
            median, f"{median:.2f} ms", f"{from_scratch}: {base_median:.2f} ms", figures, merge
        ),
        SPECS[1].row(
            figures["p99_ms"],
            f"{figures['p99_ms']:.2f} ms",
            f"{from_scratch}: {figures['baseline_p99_ms']:.2f} ms",
        ),
        SPECS[2].row(kb, f"{kb:.1f} KB", f"{from_scratch}: {base_kb:.1f} KB"),
        SPECS[3].row(speedup, f"{speedup:.2f}x", f"{from_scratch}: {base_median:.2f} ms"),
    ]
