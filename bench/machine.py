"""Where and with what a run happened: cores, CPU, memory, load, Python, libraries, commit."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from chalicelib.config import APP_ROOT

__all__ = ["LIBRARIES", "describe"]

LIBRARIES = (
    "chalice",
    "boto3",
    "botocore",
    "moto",
    "cryptography",
    "jsonschema",
    "pydantic",
    "reportlab",
    "pypdf",
    "segno",
)


def _proc_field(path: str, field: str) -> str:
    try:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            name, _, value = line.partition(":")
            if name.strip() == field:
                return value.strip()
    except OSError:
        pass
    return "unknown"


def _memory() -> str:
    total = _proc_field("/proc/meminfo", "MemTotal")
    if total.endswith(" kB"):
        return f"{int(total.removesuffix(' kB')) / (1024 * 1024):.1f} GiB"
    return total


def _commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=APP_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=APP_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (working tree has uncommitted changes)" if dirty else "")


def _version(library: str) -> str:
    try:
        return metadata.version(library)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe() -> dict[str, str]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": f"{os.cpu_count()} ({usable} usable by this process)",
        "cpu": _proc_field("/proc/cpuinfo", "model name"),
        "memory": _memory(),
        "load average (1/5/15 min) at start": load,
        "os": platform.platform(),
        "python": platform.python_version() + f" ({platform.python_implementation()})",
        "libraries": ", ".join(f"{name} {_version(name)}" for name in LIBRARIES),
        "commit": _commit(),
    }
