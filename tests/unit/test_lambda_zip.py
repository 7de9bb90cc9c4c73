"""`make package` refuses a zip that would not run on Lambda's python3.13 x86_64.

Synthetic zips stand in for what Chalice can produce: a wheel built on the build machine
(``linux_x86_64``, as Pillow once was), a dependency Chalice only warned about and left out,
a native library that no wheel accounts for.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from chalice.constants import MISSING_DEPENDENCIES_TEMPLATE

from scripts.lambda_zip import (
    PackageError,
    Unused,
    check_zip,
    compatible_tag,
    missing_in_chalice_output,
    strip_unused,
)


@pytest.mark.parametrize(
    "tag",
    [
        "py3-none-any",
        "py2.py3-none-any",
        "cp313-cp313-manylinux_2_17_x86_64",
        "cp313-cp313-manylinux2014_x86_64",
        "cp313-cp313-manylinux_2_34_x86_64",
        "cp311-abi3-manylinux_2_34_x86_64",
        "cp313-cp313-manylinux1_x86_64",
    ],
)
def test_tags_lambda_loads(tag: str) -> None:
    assert compatible_tag(tag)


@pytest.mark.parametrize(
    "tag",
    [
        "cp313-cp313-linux_x86_64",  # built from source on this machine
        "cp313-cp313-manylinux_2_39_x86_64",  # newer glibc than Amazon Linux 2023's 2.34
        "cp313-cp313-manylinux_2_17_aarch64",
        "cp312-cp312-manylinux_2_17_x86_64",
        "cp314-abi3-manylinux_2_17_x86_64",
        "cp313-cp313-musllinux_1_2_x86_64",
        "cp313-cp313-macosx_11_0_arm64",
        "py2-none-any",
        "garbage",
    ],
)
def test_tags_lambda_cannot_load(tag: str) -> None:
    assert not compatible_tag(tag)


def _wheel(
    archive: zipfile.ZipFile,
    name: str,
    tag: str,
    requires: tuple[str, ...] = (),
    files: tuple[str, ...] = (),
) -> None:
    info = f"{name}-1.0.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"
    metadata += "".join(f"Requires-Dist: {line}\n" for line in requires)
    archive.writestr(f"{info}/METADATA", metadata)
    archive.writestr(f"{info}/WHEEL", f"Wheel-Version: 1.0\nTag: {tag}\n")
    archive.writestr(f"{info}/RECORD", "".join(f"{file},,\n" for file in files))
    for file in files:
        archive.writestr(file, b"x")


def _zip(tmp_path: Path, *wheels: tuple[str, str, tuple[str, ...], tuple[str, ...]]) -> Path:
    path = tmp_path / "deployment.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("app.py", "")
        for wheel in wheels:
            _wheel(archive, *wheel)
    return path


def _requirements(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text("# runtime\n" + "\n".join(lines) + "\n")
    return path


def test_a_sound_zip_passes(tmp_path: Path) -> None:
    archive = _zip(
        tmp_path,
        ("reportlab", "py3-none-any", ("pillow>=9", "charset-normalizer"), ()),
        (
            "pillow",
            "cp313-cp313-manylinux_2_28_x86_64",
            (),
            ("PIL/_imaging.cpython-313-x86_64-linux-gnu.so",),
        ),
        ("charset-normalizer", "py3-none-any", ("pytest; extra == 'test'",), ()),
    )
    assert check_zip(archive, _requirements(tmp_path, "reportlab==5.1.0")) == []


def test_a_wheel_built_on_this_machine_is_refused(tmp_path: Path) -> None:
    archive = _zip(
        tmp_path,
        (
            "pillow",
            "cp313-cp313-linux_x86_64",
            (),
            ("PIL/_imaging.cpython-313-x86_64-linux-gnu.so",),
        ),
    )
    problems = check_zip(archive, _requirements(tmp_path, "pillow==13.0.0"))
    assert len(problems) == 1
    assert "pillow-1.0.dist-info" in problems[0] and "linux_x86_64" in problems[0]


def test_a_dependency_chalice_left_out_is_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path, ("reportlab", "py3-none-any", ("pillow>=9",), ()))
    problems = check_zip(archive, _requirements(tmp_path, "reportlab==5.1.0", "segno==1.6.6"))
    assert sorted(problems) == [
        "pillow (required by reportlab-1.0.dist-info) is not in the zip",
        "segno (required by requirements.txt) is not in the zip",
    ]


def test_dependencies_for_other_platforms_are_not_required(tmp_path: Path) -> None:
    archive = _zip(
        tmp_path,
        (
            "segno",
            "py3-none-any",
            ("pywin32; sys_platform == 'win32'", "typing-extensions; python_version < '3.10'"),
            (),
        ),
    )
    assert check_zip(archive, _requirements(tmp_path, "segno")) == []


def test_a_native_library_outside_any_wheel_is_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path, ("segno", "py3-none-any", (), ()))
    with zipfile.ZipFile(archive, "a") as opened:
        opened.writestr("stray/_speedups.cpython-313-x86_64-linux-gnu.so", b"\x7fELF")
    problems = check_zip(archive, _requirements(tmp_path))
    assert problems == [
        "stray/_speedups.cpython-313-x86_64-linux-gnu.so: a native library that no checked wheel installed"
    ]


def test_chalices_warning_about_missing_dependencies_fails_the_build() -> None:
    """Chalice prints this and exits 0; the package script must not."""
    output = "Creating deployment package.\n" + MISSING_DEPENDENCIES_TEMPLATE % "pillow==13.0.0"
    assert missing_in_chalice_output(output) == ["pillow==13.0.0"]
    assert missing_in_chalice_output("Creating deployment package.\n") == []


def test_stripping_removes_only_what_the_list_names(tmp_path: Path) -> None:
    archive = _zip(
        tmp_path,
        ("reportlab", "py3-none-any", (), ("reportlab/fonts/Vera.ttf", "reportlab/lib/utils.py")),
    )
    removed = strip_unused(archive, (Unused("reportlab/fonts/*", "test"),))
    assert removed == ["reportlab/fonts/Vera.ttf"]
    with zipfile.ZipFile(archive) as opened:
        names = opened.namelist()
        assert opened.testzip() is None
    assert "reportlab/lib/utils.py" in names and "reportlab/fonts/Vera.ttf" not in names


def test_a_strip_pattern_that_matches_nothing_fails(tmp_path: Path) -> None:
    """A dependency that moved its files must not leave a silently useless list behind."""
    archive = _zip(tmp_path, ("segno", "py3-none-any", (), ()))
    before = archive.read_bytes()
    with pytest.raises(PackageError, match="PIL/_avif"):
        strip_unused(archive, (Unused("PIL/_avif.*", "test"),))
    assert archive.read_bytes() == before
