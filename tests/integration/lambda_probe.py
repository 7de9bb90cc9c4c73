"""Run inside an extracted copy of the Lambda zip, as Lambda would run it.

Started by test_packaging.py as ``python -I -S lambda_probe.py <zip dir> <boto3 dir> <event
file> <pdf out>``: no site-packages, so every import but boto3 (which the Lambda runtime
provides) must come from the zip. It answers an API Gateway event through the Chalice
handler, loads every native extension the service uses, renders a permit PDF from the
bundled template and font, and prints what it saw as JSON.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

zip_dir, boto_dir, event_file, pdf_out = sys.argv[1:5]
sys.path[:0] = [zip_dir, boto_dir]
os.environ.update(
    PERMIT_STAGE="test",
    PERMIT_TABLE_NAME="unused-by-this-probe",
    PERMIT_PUBLIC_BASE_URL="https://permits.example.de",
    PERMIT_APP_SECRET="00" * 32,
    PERMIT_WEBHOOK_SECRETS="whsec_" + "cHJvYmUtc2VjcmV0LW5vdC1mb3ItcHJvZHVjdGlvbg==",
    PYTHONTZPATH="",  # no host time zone database, as on a minimal image
)


class _Context:
    aws_request_id = "probe"
    function_name = "permit-service-probe"
    memory_limit_in_mb = 1024

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 20_000


import app  # noqa: E402  (after sys.path names the zip)

response = app.app(json.loads(Path(event_file).read_text()), _Context())

NATIVE = (
    "pydantic_core._pydantic_core",
    "cryptography.hazmat.bindings._rust",
    "PIL._imaging",
    "rpds",
    "_cffi_backend",
    "reportlab.pdfbase.ttfonts",
)
origins = {name: importlib.import_module(name).__file__ for name in NATIVE}

from chalicelib.adapters.pdf.renderer import PdfTemplateRenderer  # noqa: E402
from chalicelib.domain.dates import BERLIN_ZONE_FILE, berlin_today  # noqa: E402

pdf = PdfTemplateRenderer(Path(zip_dir) / "pdf_templates").render(
    "resident-parking-permit.pdf",
    {"permit.number": "2026-0000-0000", "applicant.name": "Łukasz Öztürk"},
    "https://permits.example.de/v#12345678901234567890",
)
Path(pdf_out).write_bytes(pdf)
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(
    json.dumps(
        {
            "python": list(sys.version_info[:2]),
            "status": response["statusCode"],
            "body": response["body"],
            "origins": origins,
            "zone_file": str(BERLIN_ZONE_FILE),
            "berlin_day": berlin_today(datetime(2026, 6, 30, 22, 0, tzinfo=UTC)).isoformat(),
            "module_files": {
                name: getattr(sys.modules[name], "__file__", None)
                for name in loaded
                if name in sys.modules
            },
        }
    )
)
