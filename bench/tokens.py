"""Row 3a: token verification per second on one core, from :mod:`bench.token_verify`.

Decode, range checks and ECDSA P-256 verify, single thread, against the bare ``cryptography``
verify of the same signature over the same bytes, in interleaved rounds.
"""

from __future__ import annotations

from bench.local_service import LocalService
from bench.plan import Plan
from bench.rows import Row, Spec, Target

__all__ = ["SPECS", "run"]

SPECS = (
    Spec(
        "3-tokens", "token verification (decode + signature), one core", Target(">=", 5000, " /s")
    ),
)


def run(plan: Plan, service: LocalService) -> list[Row]:
    del service
    from bench.token_verify import measure

    result = measure(plan.token_seconds)
    ours, bare = result["tokens_per_s"], result["baseline_per_s"]
    return [
        SPECS[0].row(
            ours,
            f"{ours:,.0f} /s ({result['ratio']:.2f}x bare)",
            f"bare ECDSA verify: {bare:,.0f} /s",
            {"tokens_per_s": ours, "baseline_per_s": bare, "ratio": result["ratio"]},
        )
    ]
