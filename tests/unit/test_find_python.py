"""`scripts/find-python.sh`: the interpreter the Makefile builds the venv with.

It must print a working CPython 3.13 when one exists and, on a machine without one, stop
with one line saying how to get it (instead of a venv on the wrong Python, which would
package the Lambda functions for the wrong runtime).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "find-python.sh"
BASH = shutil.which("bash") or "/bin/bash"


def _bare_path(tmp_path: Path) -> Path:
    """A PATH with only the tools the script itself calls: no python3.13, pyenv or uv."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("ls", "sort"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    return bin_dir


def _run(path: str, home: Path, python: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": path, "HOME": str(home)}
    if python is not None:
        env["PYTHON"] = python
    return subprocess.run(
        [BASH, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_without_python_3_13_it_stops_with_one_clear_line(tmp_path: Path) -> None:
    bin_dir = _bare_path(tmp_path)
    # A "python3.13" that is not one (a stale shim, another version) must not be taken.
    impostor = bin_dir / "python3.13"
    impostor.write_text("#!/bin/sh\nexit 1\n")
    impostor.chmod(0o755)
    done = _run(str(bin_dir), tmp_path)
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "3.13" in lines[0]
    for way in ("apt-get install python3.13", "pyenv install 3.13", "uv python install 3.13"):
        assert way in lines[0]


def test_python_variable_names_the_interpreter(tmp_path: Path) -> None:
    done = _run(str(_bare_path(tmp_path)), tmp_path, python=sys.executable)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == sys.executable


def test_on_this_machine_it_finds_a_working_cpython_3_13(tmp_path: Path) -> None:
    """As the Makefile runs it: the user's PATH and HOME, PYTHON unset."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHON"}
    done = subprocess.run(
        [BASH, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    interpreter = done.stdout.strip()
    version = subprocess.run(
        [
            interpreter,
            "-c",
            "import platform, sys; print(platform.python_implementation(), *sys.version_info[:2])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.split() == ["CPython", "3", "13"]
