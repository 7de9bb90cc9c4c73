"""The EMF adapter writes exactly what CloudWatch turns into the alarms' metrics."""

from __future__ import annotations

import json

import pytest

from chalicelib import logs
from chalicelib.adapters.metrics.emf import EmfMetrics


@pytest.mark.parametrize("name", ["PermitsIssued", "WebhooksRefused", "ServerErrors"])
def test_one_count_is_one_emf_document(name: str) -> None:
    lines: list[str] = []
    metrics = EmfMetrics("prod", write_line=lines.append, clock=lambda: 1_790_000_000.25)
    token = logs.start_context(request_id="req-42")
    try:
        metrics.count(name)  # type: ignore[arg-type]
    finally:
        logs.end_context(token)
    assert len(lines) == 1
    document = json.loads(lines[0])
    assert document == {
        "_aws": {
            "Timestamp": 1_790_000_000_250,
            "CloudWatchMetrics": [
                {
                    "Namespace": "PermitService",
                    "Dimensions": [["Stage"]],
                    "Metrics": [{"Name": name, "Unit": "Count"}],
                }
            ],
        },
        "Stage": "prod",
        name: 1,
        "request_id": "req-42",
    }


def test_an_unset_stage_is_a_named_dimension_value() -> None:
    lines: list[str] = []
    EmfMetrics("", write_line=lines.append).count("ServerErrors")
    assert json.loads(lines[0])["Stage"] == "unset"  # CloudWatch refuses empty values
    assert "request_id" not in json.loads(lines[0])


def test_by_default_the_line_goes_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    EmfMetrics("staging").count("WebhooksRefused", 2)
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["WebhooksRefused"] == 2
