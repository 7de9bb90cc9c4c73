"""Token verification throughput against the floor set by ``cryptography`` itself.

``tokens_per_s`` is what a verification request pays for the token: strict decoding, range
checks and the ECDSA verify, single thread. ``baseline_per_s`` is the bare ECDSA P-256 verify
of the same signature over the same bytes, which no verifier can beat. Their ratio is the
cost of our parsing and checks; it should stay close to 1, since the signature dominates.

Run: ``.venv/bin/python -m bench.token_verify [seconds]``
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import date

from chalicelib.domain.token import (
    SIGNATURE_LENGTH,
    PermitClaims,
    TokenVerifier,
    der_to_raw_signature,
    sign_token,
)

__all__ = ["measure"]


class _BenchSigner:
    """An in-memory P-256 signer: the benchmark measures verification, not key storage."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        self._key = ec.generate_private_key(ec.SECP256R1())
        self._algorithm = ec.ECDSA(hashes.SHA256())
        self.public_key = self._key.public_key()
        self._pem = self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def key_id(self) -> int:
        return 1

    def sign(self, message: bytes) -> bytes:
        return der_to_raw_signature(self._key.sign(message, self._algorithm))

    def public_key_pem(self) -> bytes:
        return self._pem


def _rate(work: Callable[[], object], seconds: float) -> tuple[int, float]:
    """Run ``work`` in batches for about ``seconds``; returns (calls, elapsed)."""
    calls, batch = 0, 64
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(batch):
            work()
        calls += batch
        now = time.perf_counter()
        if now >= deadline:
            return calls, now - start


def measure(seconds: float) -> dict[str, float]:
    """Tokens verified per second vs bare ECDSA verifies per second, interleaved.

    The two are measured in alternating rounds within the same ``seconds`` budget, so CPU
    frequency changes and noisy neighbours hit both alike and the ratio stays meaningful.
    """
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    signer = _BenchSigner()
    claims = PermitClaims(  # realistic: one plate with an umlaut district, two-char zone
        serial=10_234_567,
        zone="K2",
        permit_type=1,
        valid_from=date(2026, 4, 1),
        valid_to=date(2027, 3, 31),
        plates=("DÜWAB123",),
    )
    token = sign_token(claims, signer)
    verifier = TokenVerifier({1: signer.public_key})
    body, raw = token[:-SIGNATURE_LENGTH], token[-SIGNATURE_LENGTH:]
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public_key, algorithm = signer.public_key, ec.ECDSA(hashes.SHA256())
    assert verifier.verify(token) == claims

    def ours() -> None:
        verifier.verify(token)

    def baseline() -> None:
        public_key.verify(der, body, algorithm)

    rounds = 6
    totals = {"ours": [0, 0.0], "baseline": [0, 0.0]}
    for _ in range(rounds):
        for name, work in (("ours", ours), ("baseline", baseline)):
            calls, elapsed = _rate(work, seconds / (2 * rounds))
            totals[name][0] += calls
            totals[name][1] += elapsed
    tokens_per_s = totals["ours"][0] / totals["ours"][1]
    baseline_per_s = totals["baseline"][0] / totals["baseline"][1]
    return {
        "tokens_per_s": tokens_per_s,
        "baseline_per_s": baseline_per_s,
        "ratio": tokens_per_s / baseline_per_s,
        "token_bytes": float(len(token)),
    }


if __name__ == "__main__":
    result = measure(float(sys.argv[1]) if len(sys.argv) > 1 else 3.0)
    print(f"token verify (decode + ECDSA): {result['tokens_per_s']:10.0f} /s")
    print(f"bare ECDSA P-256 verify:       {result['baseline_per_s']:10.0f} /s")
    print(f"ratio ours / baseline:         {result['ratio']:10.3f}")
    print(f"token size:                    {result['token_bytes']:10.0f} bytes")
