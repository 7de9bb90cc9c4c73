#!/usr/bin/env bash
# Installs the Debian tools the tests drive for real: pdftotext/pdftoppm (poppler-utils),
# zbarimg (zbar-tools), qpdf, headless Chromium and Node.js/npm (KERN UX styles and the officer app's QR decoder, from package.json). Idempotent and quiet when all are present.
set -euo pipefail
need=()
command -v pdftotext >/dev/null || need+=(poppler-utils)
command -v zbarimg >/dev/null || need+=(zbar-tools)
command -v qpdf >/dev/null || need+=(qpdf)
command -v chromium >/dev/null || need+=(chromium)
command -v npm >/dev/null || need+=(nodejs npm)  # npm ci: KERN UX (make assets) and jsQR (officer app)
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${need[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
