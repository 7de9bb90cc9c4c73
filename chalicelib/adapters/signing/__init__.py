"""Signer adapters for permit tokens (the ``Signer`` port in :mod:`chalicelib.services.ports`).

- :mod:`.local_key`: a P-256 PEM key on disk, generated on first use for the local stage.
- :mod:`.kms`: an AWS KMS ``ECC_NIST_P256`` key; the private key never leaves KMS.

Import the submodule you use; this package deliberately imports neither, so wiring one
signer does not pay for the other's dependencies.
"""

from __future__ import annotations

__all__: list[str] = []
