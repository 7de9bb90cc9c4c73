"""Row 2: the permit PDF, from :mod:`bench.pdf_render` (another module's measurement).

Our template renderer after warm-up, QR code included, against what a developer filling a
PDF template would reach for first: the values and the QR drawn on a ReportLab overlay page
and merged onto the template with pypdf (``merge_page``, widgets and /AcroForm removed, /ID
set). That is the baseline of every row. The page drawn from scratch on a ReportLab canvas
(no template at all) is measured in the same rounds and shown in the notes. Interleaved
rounds. If that module is missing or fails, every row of this benchmark is ERROR.
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
    Spec(
        "2-speedup",
        "permit PDF render speed-up vs ReportLab overlay merged with pypdf",
        Target(">=", 2, "x"),
    ),
)

BASELINE = "ReportLab overlay + pypdf merge"


def run(plan: Plan, service: LocalService) -> list[Row]:
    del service
    from bench.pdf_render import measure

    result = measure(plan.pdf_iterations)
    figures = {name: float(value) for name, value in result.items()}
    median, base_median = figures["median_ms"], figures["pypdf_merge_median_ms"]
    speedup = base_median / median
    kb, base_kb = figures["bytes"] / 1024, figures["pypdf_merge_bytes"] / 1024
    scratch = (
        f"ReportLab page from scratch (no template): {figures['baseline_median_ms']:.1f} ms "
        f"median, p99 {figures['baseline_p99_ms']:.1f} ms, "
        f"{figures['baseline_bytes'] / 1024:.1f} KB; "
        f"speed-up vs it {figures['speedup_vs_baseline']:.2f}x"
    )
    return [
        SPECS[0].row(
            median, f"{median:.2f} ms", f"{BASELINE}: {base_median:.2f} ms", figures, scratch
        ),
        SPECS[1].row(
            figures["p99_ms"],
            f"{figures['p99_ms']:.2f} ms",
            f"{BASELINE}: {figures['pypdf_merge_p99_ms']:.2f} ms",
        ),
        SPECS[2].row(kb, f"{kb:.1f} KB", f"{BASELINE}: {base_kb:.1f} KB"),
        SPECS[3].row(speedup, f"{speedup:.2f}x", f"{BASELINE}: {base_median:.2f} ms"),
    ]
