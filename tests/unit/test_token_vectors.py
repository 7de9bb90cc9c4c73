"""The shared test vectors, Python side: the file is what the codec answers today.

The browser side (tests/e2e/test_officer_app.py) runs the same file through the officer app's
JavaScript; together they prove both decoders accept and refuse the same tokens, for the same
reasons, with the same bytes and claims.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.domain.status_list import StatusListError, parse_envelope
from chalicelib.domain.token import REJECTION_REASONS, load_public_key_pem, verify_es256
from scripts.make_token_vectors import OUT, render

VECTORS: dict[str, Any] = json.loads(OUT.read_text(encoding="utf-8"))


def test_the_vectors_file_is_what_the_python_codec_answers_now() -> None:
    # render() decodes and verifies every case with TokenVerifier: a codec change that alters
    # any answer (or a hand edit of the file) fails here until the file is regenerated.
    assert OUT.read_text(encoding="utf-8") == render()


def test_every_rejection_reason_and_valid_tokens_are_covered() -> None:
    reasons = {case["reason"] for case in VECTORS["tokens"] if not case["ok"]}
    assert reasons == set(REJECTION_REASONS)
    valid = [case for case in VECTORS["tokens"] if case["ok"]]
    assert len(valid) >= 5
    assert {case["claims"]["type"] for case in valid} >= {1, 2, 3}
    assert {case["key_id"] for case in valid} == {0, 1}


def _public_key(kid: str) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    jwk = next(key for key in VECTORS["jwks"]["keys"] if key["kid"] == kid)
    import base64

    def number(text: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")

    key = ec.EllipticCurvePublicNumbers(number(jwk["x"]), number(jwk["y"]), ec.SECP256R1())
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return load_public_key_pem(pem)


def test_status_list_vectors_read_back_in_python() -> None:
    key = _public_key("status-1")

    def verify(kid: str, message: bytes, signature: bytes) -> bool:
        if kid != "status-1":
            raise StatusListError("unknown_key")
        return verify_es256(key, message, signature)

    for case in VECTORS["status_lists"]:
        if case["ok"]:
            parsed = parse_envelope(case["document"], verify)
            assert sorted(parsed.revoked) == case["revoked"], case["name"]
            assert sorted(parsed.superseded) == case["superseded"], case["name"]
            assert int(parsed.issued_at.timestamp()) == case["iat"]
        else:
            try:
                parse_envelope(case["document"], verify)
            except StatusListError as error:
                assert case["reason"] in str(error).replace(" ", "_"), (case, error)
            else:
                raise AssertionError(f"{case['name']} was accepted")
