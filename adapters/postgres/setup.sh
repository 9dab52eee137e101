#!/usr/bin/env bash
# Installs what the PostgreSQL side needs (idempotent, safe to re-run): PostgreSQL 15 server and
# headers, hypopg, build tools from Debian; then builds and installs the pilotscope extension.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(postgresql-15 postgresql-server-dev-15 postgresql-15-hypopg make gcc)
PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup: '$*' needs root; run it as root or install sudo" >&2; exit 1
  fi
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} from Debian"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ -f extension/Makefile ]; then
  # with_llvm=no: Debian's PGXS would otherwise want clang to emit JIT bitcode. Installing copies a
  # few files, so it runs every time and the installed extension always matches the sources.
  make -s -C extension PG_CONFIG="$PG_CONFIG" with_llvm=no >/dev/null
  as_root make -s -C extension PG_CONFIG="$PG_CONFIG" with_llvm=no install >/dev/null
fi
