"""Metrics as CloudWatch Embedded Metric Format (EMF): one JSON line on stdout per event.

Lambda sends stdout to CloudWatch Logs, which turns each EMF line into metric data points:
no client, no network call, no batching that a crash could lose. Namespace ``PermitService``,
one dimension ``Stage``, unit Count; the names are the ``MetricName`` literals of the port,
which the deployment's alarms use verbatim. Each line also carries the request id (not a
dimension), so a data point can be traced to its request in the logs.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Final

from chalicelib import logs
from chalicelib.services.ports import MetricName

__all__ = ["NAMESPACE", "EmfMetrics"]

NAMESPACE: Final = "PermitService"
_UNSET_STAGE: Final = "unset"  # CloudWatch refuses an empty dimension value


def _stdout_line(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class EmfMetrics:
    def __init__(
        self,
        stage: str,
        write_line: Callable[[str], None] = _stdout_line,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._stage = stage or _UNSET_STAGE
        self._write_line = write_line
        self._clock = clock

    def count(self, name: MetricName, value: int = 1) -> None:
        document: dict[str, object] = {
            "_aws": {
                "Timestamp": int(self._clock() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": NAMESPACE,
                        "Dimensions": [["Stage"]],
                        "Metrics": [{"Name": name, "Unit": "Count"}],
                    }
                ],
            },
            "Stage": self._stage,
            name: value,
        }
        request_id = logs.field("request_id")
        if request_id:
            document["request_id"] = request_id
        self._write_line(json.dumps(document, separators=(",", ":")))
