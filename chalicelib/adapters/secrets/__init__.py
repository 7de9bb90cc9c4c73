"""Where the secrets live: :mod:`.environment` (local run, tests) and :mod:`.ssm` (AWS).

Both implement :class:`chalicelib.services.ports.SecretSource`; ``chalicelib.config`` picks
one from the environment (``PERMIT_SECRETS_PREFIX``). Importing this package costs nothing.
"""
