"""Build the pages' CSS, fonts and script into ``chalicelib/web/assets/dist/`` (git-ignored).

Input: KERN UX from npm (``npm ci`` installs ``@kern-ux/native`` at the version the lockfile
pins), our own ``assets/src/site.css`` and ``app.js``. Output, each file named after its
content hash so it can be cached forever (``immutable``):

- ``site.<hash>.css``: the Fira Sans faces the KERN tokens use (400, 500, 600; with
  ``font-display: swap``, so text shows at once in a fallback font), KERN's stylesheet
  reduced by PurgeCSS to the selectors our templates use (340 KB -> a few dozen KB: a
  phone on a slow network must not fetch a whole design system), then ``site.css``;
- ``FiraSans-*.<hash>.woff2``, ``app.<hash>.js``;
- ``KERN-LICENSE.md``: KERN UX is EUPL-1.2; its licence travels with the shipped assets;
- ``manifest.json``: logical name -> hashed file name, read by the service.

``chalicelib/`` ships whole in the Lambda zip, so the assets do too. Run by the Makefile
after ``npm ci`` for ``make run``, ``make test`` and ``make package``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from chalicelib.config import APP_ROOT

KERN = APP_ROOT / "node_modules" / "@kern-ux" / "native"
PURGECSS = APP_ROOT / "node_modules" / "purgecss" / "bin" / "purgecss.js"
WEB = APP_ROOT / "chalicelib" / "web"
SOURCE = WEB / "assets" / "src"
DIST = WEB / "assets" / "dist"
FONTS = (("FiraSans-Regular", 400), ("FiraSans-Medium", 500), ("FiraSans-SemiBold", 600))
# Classes our templates build at run time (never written out whole in a template).
SAFELIST = [
    "kern-alert--danger",
    "kern-alert--info",
    "kern-alert--success",
    "kern-alert--warning",
    "kern-icon--danger",
    "kern-icon--info",
    "kern-icon--success",
    "kern-icon--warning",
    "kern-btn--primary",
    "kern-btn--secondary",
    "kern-btn--tertiary",
    "kern-form-input__input--width-2",
    "kern-form-input__input--width-4",
]


def _hashed(name: str, data: bytes) -> str:
    stem, dot, ext = name.partition(".")
    return f"{stem}.{hashlib.sha256(data).hexdigest()[:12]}{dot}{ext}"


def _purged_kern() -> str:
    if not KERN.is_dir() or not PURGECSS.is_file():
        raise SystemExit("KERN UX is not installed: run `npm ci` (the Makefile does)")
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is not installed (scripts/install-system-deps.sh installs it)")
    with tempfile.TemporaryDirectory() as out:
        command = [
            node,
            str(PURGECSS),
            "--css",
            str(KERN / "dist" / "kern.min.css"),
            "--content",
            str(WEB / "templates" / "**" / "*.html"),
            str(SOURCE / "app.js"),
            "--variables",
            "--keyframes",
            "--output",
            out,
            "--safelist",
            *SAFELIST,
        ]
        subprocess.run(command, check=True, capture_output=True, text=True)
        return (Path(out) / "kern.min.css").read_text(encoding="utf-8")


def build(dist: Path = DIST) -> dict[str, str]:
    if dist.exists():
        shutil.rmtree(dist)
    dist.mkdir(parents=True)
    manifest: dict[str, str] = {}

    def emit(name: str, data: bytes) -> str:
        hashed = _hashed(name, data)
        (dist / hashed).write_bytes(data)
        manifest[name] = hashed
        return hashed

    faces = []
    for font, weight in FONTS:
        data = (KERN / "dist" / "fonts" / "fira-sans" / f"{font}.woff2").read_bytes()
        file_name = emit(f"{font}.woff2", data)
        faces.append(
            "@font-face{font-family:'Fira Sans';font-style:normal;"
            f"font-weight:{weight};font-display:swap;"
            f"src:url('{file_name}') format('woff2')}}"
        )
    kern = _purged_kern().replace('@charset "UTF-8";', "")
    own = (SOURCE / "site.css").read_text(encoding="utf-8")
    css = '@charset "UTF-8";\n' + "\n".join(faces) + "\n" + kern + "\n" + own
    emit("site.css", css.encode("utf-8"))
    emit("app.js", (SOURCE / "app.js").read_bytes())
    shutil.copy2(KERN / "LICENSE.md", dist / "KERN-LICENSE.md")
    (dist / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def main() -> int:
    manifest = build()
    sizes = {name: (DIST / file).stat().st_size for name, file in manifest.items()}
    print("assets built:", ", ".join(f"{n} {s // 1024} KB" for n, s in sorted(sizes.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
