#!/usr/bin/env bash
# Install the Debian packages a target needs, when missing and when we may (root).
# Usage: system-deps.sh gettext|postgresql|chromium|poppler|fonts|softhsm|tesseract …
set -euo pipefail
declare -A CHECK=( [gettext]="command -v msgfmt" [postgresql]="ls /usr/lib/postgresql/*/bin/initdb" [chromium]="test -x /usr/bin/chromium" [poppler]="command -v pdfsig" [fonts]="test -e /usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf" [softhsm]="test -e /usr/lib/softhsm/libsofthsm2.so" [tesseract]="ls /usr/share/tesseract-ocr/*/tessdata/vie.traineddata" )
declare -A PKGS=( [gettext]="gettext" [postgresql]="postgresql" [chromium]="chromium fonts-liberation" [poppler]="poppler-utils" [fonts]="fonts-liberation2 fonts-dejavu-core" [softhsm]="softhsm2" [tesseract]="tesseract-ocr tesseract-ocr-vie" )
missing=()
for want in "$@"; do
  if ! eval "${CHECK[$want]}" >/dev/null 2>&1; then missing+=(${PKGS[$want]}); fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "!!! WARNING: missing Debian packages: ${missing[*]} (not root, cannot install)" >&2
  exit 3
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
