"""Shared test vectors: the Python codec's answers, which the browser's decoder must repeat.

    .venv/bin/python -m scripts.make_token_vectors          # rewrites tests/vectors/tokens.json
    .venv/bin/python -m scripts.make_token_vectors --check  # exit 1 if the file is out of date

Every case is run through :class:`chalicelib.domain.token.TokenVerifier` here and its answer
written down: the token bytes (hex) and either the decoded claims or the rejection reason.
``tests/unit/test_token_vectors.py`` checks that Python still gives exactly these answers and
``tests/e2e/test_officer_app.py`` that the officer app's JavaScript gives them too, byte for
byte. Signatures are deterministic (RFC 6979) from fixed test-only private scalars, so the
file is reproducible and reviewable in a diff.

The cases: valid tokens at every edge (key id 0, 4 plates of 10 characters with Ä Ö Ü, a
zone-group code, one-day validity, the first and last representable day, an unknown permit
type), each rejection reason at least once, and every single-byte corruption (xor 0x01 and
0x80) of two valid tokens, which is where two decoders would drift apart.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from chalicelib.config import APP_ROOT
from chalicelib.domain.errors import InvalidTokenError
from chalicelib.domain.status_list import (
    b64url,
    build_payload,
    envelope,
    protected_header,
    signing_input,
)
from chalicelib.domain.token import (
    EPOCH,
    MAX_TEXT_DIGITS,
    SIGNATURE_LENGTH,
    PermitClaims,
    TokenVerifier,
    encode_claims,
    token_to_text,
)

OUT = APP_ROOT / "tests" / "vectors" / "tokens.json"
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
# Test-only private scalars: public here on purpose, they sign nothing but these vectors.
PUBLISHED_SCALARS = {0: 0x1D2C3B4A, 1: 0x5E6F7081_92A3B4C5}
UNPUBLISHED_SCALAR = (9, 0xDEADBEEF_CAFE)
LIST_SCALAR = ("status-1", 0x51A7_0051)


def _private(scalar: int) -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.derive_private_key(scalar, ec.SECP256R1())


def _sign_raw(scalar: int, message: bytes) -> bytes:
    """Deterministic (RFC 6979) ES256, low-S raw r||s: what both signers produce."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, utils

    der = _private(scalar).sign(message, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = utils.decode_dss_signature(der)
    s = min(s, P256_ORDER - s)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _jwk(kid: str, scalar: int) -> dict[str, str]:
    from chalicelib.services.keyring import jwk_for

    return jwk_for(kid, _private(scalar).public_key())


def _claims(**changes: Any) -> PermitClaims:
    base: dict[str, Any] = {
        "serial": 0x0A1B2C3D,
        "zone": "C",
        "permit_type": 1,
        "valid_from": date(2026, 11, 21),
        "valid_to": date(2027, 11, 20),
        "plates": ("DNAB123",),
    }
    base.update(changes)
    return PermitClaims(**base)


def _header_body(
    key_id: int = 0,
    *,
    version: int = 0x11,
    zone: bytes = b"C\0",
    days: tuple[int, int] = (2516, 2880),
    plates: list[bytes] | None = None,
    count: int | None = None,
    extra: bytes = b"",
) -> bytes:
    """A body built by hand, for layouts the encoder refuses to write."""
    plates = [b"DNAB123"] if plates is None else plates
    parts = [
        bytes((version, key_id)),
        (0x0A1B2C3D).to_bytes(4, "big"),
        zone,
        bytes((1,)),
        days[0].to_bytes(2, "big"),
        days[1].to_bytes(2, "big"),
        bytes((len(plates) if count is None else count,)),
    ]
    parts += [bytes((len(p),)) + p for p in plates]
    return b"".join(parts) + extra


def _signed(body: bytes, scalar: int = PUBLISHED_SCALARS[0]) -> bytes:
    return body + _sign_raw(scalar, body)


def _token_cases() -> list[tuple[str, str]]:
    """(name, decimal text) for every case; the answers come from the Python verifier."""
    valid = {
        "valid: one plate, zone C, resident": encode_claims(_claims(), 0),
        "valid: key id 1, four plates of 10 with umlauts, zone-group HW, tradesperson": (
            encode_claims(
                _claims(
                    zone="HW",
                    permit_type=3,
                    plates=("ÄÖÜ1234567", "DNAB123456", "K0Z9", "AACHEN0001"),
                ),
                1,
            )
        ),
        "valid: visitor, two-character zone, one day": encode_claims(
            _claims(zone="A1", permit_type=2, valid_to=date(2026, 11, 21)), 0
        ),
        "valid: first and last representable day, serial 0": encode_claims(
            _claims(serial=0, valid_from=EPOCH, valid_to=EPOCH + timedelta(0xFFFF)), 1
        ),
        "valid: serial 2^32-1, unknown permit type 255": encode_claims(
            _claims(serial=0xFFFFFFFF, permit_type=255), 0
        ),
    }
    cases: list[tuple[str, bytes | str]] = []
    for name, body in valid.items():
        scalar = PUBLISHED_SCALARS[body[1]]
        cases.append((name, _signed(body, scalar)))
    good = _signed(valid["valid: one plate, zone C, resident"])
    body, signature = good[:-SIGNATURE_LENGTH], good[-SIGNATURE_LENGTH:]
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")

    def with_sig(r_: int, s_: int) -> bytes:
        return body + r_.to_bytes(32, "big") + s_.to_bytes(32, "big")

    cases += [
        ("text: empty", ""),
        ("text: leading zero", "0" + token_to_text(good)),
        ("text: a letter", token_to_text(good)[:-1] + "a"),
        ("text: plus sign", "+" + token_to_text(good)),
        ("text: inner space", token_to_text(good)[:10] + " " + token_to_text(good)[10:]),
        ("text: Arabic-Indic digits", "١٢٣"),
        ("text: one digit too long", "1" + "0" * MAX_TEXT_DIGITS),
        ("sentinel: first byte 2", str(int.from_bytes(b"\x02" + good, "big"))),
        ("sentinel: first byte 0x81", str(int.from_bytes(b"\x81" + good, "big"))),
        ("length: nothing after the sentinel", "1"),
        ("cut: last byte missing (a plate then runs short)", good[:-1]),
        ("length: truncated to half", good[: len(good) // 2]),
        (
            "cut: one byte over the longest token (the text cap refuses it)",
            _signed(_header_body(plates=[b"A" * 10] * 4, extra=b"X")),
        ),
        ("length: 79 bytes (one empty plate)", _signed(_header_body(plates=[b""]))),
        ("version: 0x12", _signed(_header_body(version=0x12))),
        ("version: 0x21", _signed(_header_body(version=0x21))),
        ("plate_count: zero", _signed(_header_body(plates=[b"DNAB123"], count=0, extra=b""))),
        ("plate_count: five", _signed(_header_body(plates=[b"AB"] * 5))),
        ("truncated: length byte past the end", _signed(_header_body(plates=[b"AB"], count=2))),
        ("truncated: plate shorter than its length", _signed(_header_body()[:-1])),
        ("trailing: one byte after the last plate", _signed(_header_body(extra=b"\x00"))),
        ("zone: empty", _signed(_header_body(zone=b"\0\0"))),
        ("zone: leading zero byte", _signed(_header_body(zone=b"\0A"))),
        ("zone: lowercase", _signed(_header_body(zone=b"c\0"))),
        ("zone: latin-1 letter", _signed(_header_body(zone=b"\xc4\0"))),
        ("dates: to before from", _signed(_header_body(days=(2880, 2516)))),
        ("plate: empty second plate", _signed(_header_body(plates=[b"DNAB123", b""]))),
        ("plate: eleven characters", _signed(_header_body(plates=[b"A" * 11]))),
        ("plate: lowercase", _signed(_header_body(plates=[b"dnab123"]))),
        ("plate: hyphen", _signed(_header_body(plates=[b"DN-AB123"]))),
        ("plate: sharp s", _signed(_header_body(plates=["STRAßE".encode("latin-1")]))),
        ("unknown_key: key id 9", _signed(_header_body(9), UNPUBLISHED_SCALAR[1])),
        (
            "signature: key id 1 but signed by an unpublished key",
            _signed(_header_body(1), UNPUBLISHED_SCALAR[1]),
        ),
        ("signature_range: r = 0", with_sig(0, s)),
        ("signature_range: s = 0", with_sig(r, 0)),
        ("signature_range: r = n", with_sig(P256_ORDER, s)),
        ("signature_range: high s (n - s)", with_sig(r, P256_ORDER - s)),
        ("signature: last byte changed", good[:-1] + bytes((good[-1] ^ 1,))),
        ("signature: zone changed after signing", body[:6] + b"D" + body[7:] + signature),
    ]
    for source in (good, cases[1][1]):
        assert isinstance(source, bytes)
        for index in range(len(source)):
            for flip in (0x01, 0x80):
                mutated = source[:index] + bytes((source[index] ^ flip,)) + source[index + 1 :]
                cases.append((f"mutation: byte {index} xor 0x{flip:02x} of {len(source)}", mutated))
    return [(name, raw if isinstance(raw, str) else token_to_text(raw)) for name, raw in cases]


def _answer(verifier: TokenVerifier, text: str) -> dict[str, Any]:
    from chalicelib.domain.token import token_from_text

    try:
        token = token_from_text(text)
    except InvalidTokenError as error:
        return {"ok": False, "hex": None, "reason": error.reason}
    try:
        claims = verifier.verify(token)
    except InvalidTokenError as error:
        return {"ok": False, "hex": token.hex(), "reason": error.reason}
    return {
        "ok": True,
        "hex": token.hex(),
        "key_id": token[1],
        "claims": {
            "serial": claims.serial,
            "zone": claims.zone,
            "type": claims.permit_type,
            "valid_from": claims.valid_from.isoformat(),
            "valid_to": claims.valid_to.isoformat(),
            "plates": list(claims.plates),
        },
    }


def _status_lists() -> list[dict[str, Any]]:
    """Signed lists the browser must read exactly as Python wrote them (or refuse)."""
    kid, scalar = LIST_SCALAR
    issued = datetime(2026, 11, 21, 13, 5, tzinfo=UTC)
    protected = protected_header(kid)
    lists: list[dict[str, Any]] = []
    for name, revoked, superseded in (
        ("empty", [], []),
        ("edges", [0, 1, 2, 0xFFFFFFFF], [0x0A1B2C3D]),
        ("spread", [(i * 2654435761) % 2**32 for i in range(1, 301)], [7, 70_000, 7_000_000]),
    ):
        payload = build_payload(revoked, superseded, issued, timedelta(hours=24))
        document = envelope(
            protected, payload, _sign_raw(scalar, signing_input(protected, payload))
        )
        lists.append(
            {
                "name": name,
                "document": document,
                "ok": True,
                "iat": int(issued.timestamp()),
                "revoked": sorted(set(revoked)),
                "superseded": sorted(set(superseded)),
            }
        )
    good = json.loads(lists[1]["document"])
    tampered = dict(good, payload=good["payload"].replace('"v":1', '"v":1 '))
    wrong_kid = dict(good, protected=protected_header("status-2"))
    unsigned_key = dict(good, signature=b64url(_sign_raw(UNPUBLISHED_SCALAR[1], b"x")))
    for name, broken, reason in (
        ("payload changed after signing", tampered, "signature"),
        ("unknown list key", wrong_kid, "unknown_key"),
        ("signed by another key", unsigned_key, "signature"),
    ):
        lists.append({"name": name, "document": json.dumps(broken), "ok": False, "reason": reason})
    return lists


def build() -> dict[str, Any]:
    keys = [_jwk(str(key_id), scalar) for key_id, scalar in PUBLISHED_SCALARS.items()]
    keys.append(_jwk(LIST_SCALAR[0], LIST_SCALAR[1]))
    public = {key_id: _private(scalar).public_key() for key_id, scalar in PUBLISHED_SCALARS.items()}
    verifier = TokenVerifier(public)
    return {
        "about": "Generated by scripts/make_token_vectors.py from the Python codec; do not edit.",
        "jwks": {"keys": keys},
        "tokens": [
            {"name": name, "text": text, **_answer(verifier, text)} for name, text in _token_cases()
        ],
        "status_lists": _status_lists(),
    }


def render() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(
                f"{OUT} is out of date: run python -m scripts.make_token_vectors", file=sys.stderr
            )
            return 1
        return 0
    Path(OUT).parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(f"written {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
