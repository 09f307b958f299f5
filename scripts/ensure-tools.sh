#!/usr/bin/env bash
# System packages the tests use: a TrueType CJK font for certificate PDFs,
# pdftotext to read them back, and Chromium for the browser stories of the
# web pages. Installed only when missing, and only as root.
set -euo pipefail
need=()
ls /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf >/dev/null 2>&1 || need+=(fonts-droid-fallback)
ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1 || need+=(fonts-dejavu-core)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v pg_isready >/dev/null 2>&1 || need+=(postgresql-client)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "ensure-tools: missing ${need[*]}; install them (needs root)" >&2
    exit 1
  fi
  echo "ensure-tools: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi
