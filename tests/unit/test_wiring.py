"""The composition root refuses what it would otherwise silently ignore."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.config import Settings
from chalicelib.wiring import Container


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        stage="test",
        table_name="unused",
        public_base_url="https://permits.example.de",
        app_secret=bytes(32),
        webhook_secrets=(),
        staff_token_hashes=(),
        local_key_path=tmp_path / "key.pem",
    )


def test_a_misspelt_override_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="unknown Container override"):
        Container(_settings(tmp_path), clocks=object())  # type: ignore[call-arg]


def test_an_override_replaces_what_would_be_built(tmp_path: Path) -> None:
    class Frozen:
        def now(self) -> object:
            return "frozen"

    clock = Frozen()
    assert Container(_settings(tmp_path), clock=clock).clock is clock  # type: ignore[arg-type]
