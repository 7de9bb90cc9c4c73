"""The Lambda zip holds only what runs on Lambda's python3.13: checks and trimming for `make package`.

Chalice accepts a wheel it built from source on the build machine (``linux_x86_64``, linked
to this machine's libraries) and only *warns* when it cannot install a dependency at all,
leaving it out of the zip. Both give a package that deploys and then fails on import. So
after `chalice package` this module reads the zip itself:

- every ``*.dist-info/WHEEL`` must carry a tag that Lambda's python3.13 can load (CPython
  3.13 or the stable ABI or pure Python, on manylinux x86_64 with glibc <= 2.34, the
  glibc of Amazon Linux 2023), and every native library must belong to such a wheel;
- every requirement of requirements.txt, and every dependency those declare for Linux
  x86_64 CPython 3.13, must be installed in the zip.

It also removes the files that nothing on Lambda opens (:data:`UNUSED`, each with the
reason and how it was measured), and fails when a pattern matches nothing, so the list
cannot rot silently when a dependency changes its layout.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

__all__ = [
    "LAMBDA_MACHINE",
    "LAMBDA_PYTHON",
    "UNUSED",
    "PackageError",
    "Unused",
    "check_zip",
    "compatible_tag",
    "missing_in_chalice_output",
    "strip_unused",
]

LAMBDA_PYTHON = (3, 13)
LAMBDA_MACHINE = "x86_64"  # Chalice's default architecture, as in the template
LAMBDA_GLIBC = (2, 34)  # Amazon Linux 2023, the OS of the python3.13 runtime
_LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
_MARKER_ENVIRONMENT = {
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "platform_machine": LAMBDA_MACHINE,
    "platform_system": "Linux",
    "sys_platform": "linux",
    "os_name": "posix",
    "python_version": "3.13",
    "python_full_version": "3.13.0",
    "implementation_version": "3.13.0",
    "extra": "",
}
# Our own code and the part of Chalice that `chalice package` copies in (no dist-info).
_OWN_TOP_LEVEL = frozenset({"app.py", "chalicelib", "schemas", "pdf_templates", "chalice"})


class PackageError(Exception):
    """The zip would not run on Lambda; the message says which file and why."""


@dataclass(frozen=True)
class Unused:
    pattern: str  # fnmatch pattern over names inside the zip
    reason: str


# Measured, not guessed: rendering a permit imports PIL.Image (reportlab.lib.utils imports it
# unconditionally) and so loads PIL/_imaging and the libraries it links (libjpeg, libtiff,
# libopenjp2, libxcb/libXau, libzstd, liblzma); an audit hook on `open` sees only the
# template PDF and DejaVuSans-Bold.ttf read. Everything below is never opened or loaded; the
# packaging test renders a PDF from an extracted copy of the trimmed zip to prove it.
UNUSED: tuple[Unused, ...] = (
    Unused(
        "pdf_templates/fonts/DejaVuSans.ttf",
        "only scripts/make_pdf_template.py draws with the regular face; the renderer embeds "
        "DejaVuSans-Bold.ttf (LICENSE stays beside it)",
    ),
    Unused("reportlab/fonts/*", "ReportLab's bundled Type 1 and Vera fonts; we register our TTF"),
    Unused("PIL/_avif.*", "Pillow's AVIF codec: we never decode images"),
    Unused("pillow.libs/libavif-*", "linked only by PIL/_avif"),
    Unused("PIL/_webp.*", "Pillow's WebP codec: we never decode images"),
    Unused("pillow.libs/libwebp*-*", "linked only by PIL/_webp"),
    Unused("pillow.libs/libsharpyuv-*", "linked only by libwebp and libavif"),
    Unused("PIL/_imagingft.*", "Pillow's FreeType text drawing: ReportLab draws our text"),
    Unused("pillow.libs/libfreetype-*", "linked only by PIL/_imagingft"),
    Unused("pillow.libs/libharfbuzz-*", "linked only by PIL/_imagingft"),
    Unused("pillow.libs/libpng16-*", "linked only by libfreetype"),
    Unused("pillow.libs/libbrotli*-*", "linked only by libfreetype"),
    Unused("PIL/_imagingcms.*", "Pillow's colour management (ImageCms)"),
    Unused("pillow.libs/liblcms2-*", "linked only by PIL/_imagingcms"),
    Unused("PIL/_imagingtk.*", "Pillow's Tk bridge"),
    Unused("PIL/_imagingmath.*", "Pillow's ImageMath"),
    Unused("PIL/_imagingmorph.*", "Pillow's ImageMorph"),
)


# -- Chalice's own report -----------------------------------------------------------------


def missing_in_chalice_output(output: str) -> list[str]:
    """The packages `chalice package` says it could not install (it only warns, exit 0)."""
    from chalice.constants import MISSING_DEPENDENCIES_TEMPLATE

    heading = MISSING_DEPENDENCIES_TEMPLATE.strip().splitlines()[0]  # "Could not install ..."
    _, found, rest = output.partition(heading)
    if not found:
        return []
    missing = []
    for line in rest.splitlines()[1:]:
        if not line.strip() or " " in line.strip():
            break  # the package list ends at the blank line or Chalice's advice text
        missing.append(line.strip())
    return missing or ["(unnamed)"]


# -- wheel tags ----------------------------------------------------------------------------


def _platform_ok(platform: str) -> bool:
    if platform == "any":
        return True
    legacy, _, machine = platform.partition("_")
    if legacy in _LEGACY_MANYLINUX:
        return machine == LAMBDA_MACHINE and _LEGACY_MANYLINUX[legacy] <= LAMBDA_GLIBC
    match = re.fullmatch(r"manylinux_(\d+)_(\d+)_(\w+)", platform)
    if match is None:
        return False  # linux_x86_64 (built here), macosx, win, musllinux
    glibc = (int(match[1]), int(match[2]))
    return match[3] == LAMBDA_MACHINE and glibc <= LAMBDA_GLIBC


def _interpreter_ok(interpreter: str, abi: str) -> bool:
    major, minor = LAMBDA_PYTHON
    if abi == "none":
        return interpreter in {"py3", f"py{major}{minor}", f"cp{major}{minor}", "py2.py3"}
    if abi == f"cp{major}{minor}":
        return interpreter == f"cp{major}{minor}"
    if abi == "abi3":
        found = re.fullmatch(r"cp3(\d+)", interpreter)
        return found is not None and int(found[1]) <= minor
    return False


def compatible_tag(tag: str) -> bool:
    """Whether one wheel tag (``interpreter-abi-platform``) loads on Lambda's python3.13 x86_64."""
    parts = tag.split("-")
    if len(parts) != 3:
        return False
    interpreters, abis, platforms = (part.split(".") for part in parts)
    return any(
        _interpreter_ok(interpreter, abi) and _platform_ok(platform)
        for interpreter in interpreters
        for abi in abis
        for platform in platforms
    )


# -- reading the zip -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Dist:
    name: str  # canonical
    dist_info: str
    tags: tuple[str, ...]
    requires: tuple[str, ...]
    files: frozenset[str]


def _dists(archive: zipfile.ZipFile) -> dict[str, _Dist]:
    names = archive.namelist()
    dist_infos = sorted(
        {n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")}
    )
    found: dict[str, _Dist] = {}
    for dist_info in dist_infos:
        metadata = HeaderParser().parsestr(archive.read(f"{dist_info}/METADATA").decode("utf-8"))
        wheel = HeaderParser().parsestr(archive.read(f"{dist_info}/WHEEL").decode("utf-8"))
        record = (
            archive.read(f"{dist_info}/RECORD").decode("utf-8")
            if f"{dist_info}/RECORD" in names
            else ""
        )
        files = frozenset(line.split(",", 1)[0] for line in record.splitlines() if line)
        name = canonicalize_name(metadata["Name"])
        found[name] = _Dist(
            name,
            dist_info,
            tuple(wheel.get_all("Tag") or ()),
            tuple(metadata.get_all("Requires-Dist") or ()),
            files,
        )
    return found


def _needed(requirement: str) -> str | None:
    """The canonical name a Lambda install needs for one Requires-Dist line, or None."""
    try:
        parsed = Requirement(requirement)
    except InvalidRequirement as error:
        raise PackageError(f"unreadable requirement {requirement!r}: {error}") from error
    if parsed.marker is not None and not parsed.marker.evaluate(_MARKER_ENVIRONMENT):
        return None
    return canonicalize_name(parsed.name)


def _requirement_lines(requirements: Path) -> list[str]:
    lines = []
    for raw in requirements.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def check_zip(archive_path: Path, requirements: Path) -> list[str]:
    """Every reason the zip would fail on Lambda (empty when it is fine)."""
    problems: list[str] = []
    with zipfile.ZipFile(archive_path) as archive:
        names = archive.namelist()
        dists = _dists(archive)
    for dist in dists.values():
        if not dist.tags:
            problems.append(f"{dist.dist_info}: no WHEEL tag (not installed from a wheel)")
        elif not any(compatible_tag(tag) for tag in dist.tags):
            problems.append(
                f"{dist.dist_info}: wheel tags {', '.join(dist.tags)} do not load on Lambda "
                f"python{'.'.join(map(str, LAMBDA_PYTHON))} {LAMBDA_MACHINE} (glibc <= "
                f"{'.'.join(map(str, LAMBDA_GLIBC))}); a wheel built on this machine links its "
                "libraries"
            )
    wanted = [(line, "requirements.txt") for line in _requirement_lines(requirements)]
    wanted += [(line, dist.dist_info) for dist in dists.values() for line in dist.requires]
    for line, source in wanted:
        needed = _needed(line)
        if needed is not None and needed not in dists:
            problems.append(f"{needed} (required by {source}) is not in the zip")
    owned = {file for dist in dists.values() for file in dist.files}
    for name in names:
        top = name.split("/", 1)[0]
        native = name.endswith(".so") or ".so." in name.rsplit("/", 1)[-1]
        if native and name not in owned and top not in _OWN_TOP_LEVEL:
            problems.append(f"{name}: a native library that no checked wheel installed")
    return problems


# -- trimming ------------------------------------------------------------------------------


def _matches(name: str, patterns: Iterable[Unused]) -> Unused | None:
    for unused in patterns:
        if fnmatch.fnmatchcase(name, unused.pattern):
            return unused
    return None


def strip_unused(archive_path: Path, unused: Sequence[Unused] = UNUSED) -> list[str]:
    """Rewrite the zip without the unused files; returns the removed names.

    Raises PackageError when a pattern matches nothing: the list must describe this zip.
    """
    removed: list[str] = []
    hits: dict[str, int] = {entry.pattern: 0 for entry in unused}
    trimmed = archive_path.with_suffix(".trimmed.zip")
    with zipfile.ZipFile(archive_path) as source, zipfile.ZipFile(trimmed, "w") as target:
        for info in source.infolist():
            match = _matches(info.filename, unused)
            if match is not None:
                hits[match.pattern] += 1
                removed.append(info.filename)
                continue
            with source.open(info) as data, target.open(info, "w") as out:
                shutil.copyfileobj(data, out, 1024 * 1024)
    stale = [pattern for pattern, count in hits.items() if count == 0]
    if stale:
        trimmed.unlink()
        raise PackageError(
            "scripts/lambda_zip.py UNUSED patterns match nothing in the zip (update the list): "
            + ", ".join(stale)
        )
    trimmed.replace(archive_path)
    return removed
