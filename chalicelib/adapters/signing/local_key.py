"""A Signer backed by an EC P-256 private key in a PEM file: the local stage's signing key.

The key lives in the git-ignored ``.local/`` folder and is generated on first run by
:func:`ensure_local_key`, so a fresh checkout can issue verifiable permits without any cloud
account. Deployed stages use :mod:`chalicelib.adapters.signing.kms` instead: a key file on a
Lambda would be a secret to ship and rotate by hand.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from chalicelib.domain.token import der_to_raw_signature

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey

__all__ = ["LocalKeySigner", "ensure_local_key"]


def ensure_local_key(path: Path) -> None:
    """Create an unencrypted P-256 PKCS#8 PEM key at ``path`` unless one is already there.

    The file is created with mode 0600 (and its folder with 0700 if missing): it is a
    signing key, even if only a local one. The key is written to a temporary file and then
    hard-linked into place, which fails instead of overwriting when two processes race to
    create it: both then sign with the one key that won, and nobody reads a half-written file.
    """
    if path.exists():
        return
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    fd, tmp_name = tempfile.mkstemp(prefix=".key-", dir=path.parent)  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "wb") as tmp:
            os.fchmod(tmp.fileno(), 0o600)
            tmp.write(pem)
            tmp.flush()
            os.fsync(tmp.fileno())
        with contextlib.suppress(FileExistsError):  # another process won the race: use its key
            os.link(tmp_name, path)
    finally:
        os.unlink(tmp_name)


class LocalKeySigner:
    """Signs with a P-256 private key loaded once from ``pem_path``.

    ``key_id`` is the token's one-byte key id; the same id must never be reused for a
    different key (the key ring refuses that), or permits already printed stop verifying.
    """

    def __init__(self, pem_path: Path, key_id: int) -> None:
        if not isinstance(key_id, int) or not 0 <= key_id <= 0xFF:
            raise ValueError("key_id must fit one byte")
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        key = serialization.load_pem_private_key(pem_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(
            key.curve, ec.SECP256R1
        ):
            raise ValueError(f"{pem_path} does not hold an EC P-256 private key")
        self._key: EllipticCurvePrivateKey = key
        self._key_id = key_id
        self._algorithm = ec.ECDSA(hashes.SHA256())
        self._public_pem = key.public_key().public_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PublicFormat.SubjectPublicKeyInfo,
        )

    @property
    def key_id(self) -> int:
        return self._key_id

    def sign(self, message: bytes) -> bytes:
        """ECDSA P-256 / SHA-256 over ``message``, as the token's raw 64-byte ``r || s``."""
        return der_to_raw_signature(self._key.sign(message, self._algorithm))

    def public_key_pem(self) -> bytes:
        return self._public_pem
