#!/usr/bin/env bash
# Installs Debian's chromium for the report tests (headless page loads and screenshots).
# Idempotent: does nothing when chromium is already there. Needs root and the Debian mirrors.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "chromium is missing and installing it needs root: run 'apt-get install -y chromium' as root." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium >/dev/null
