#!/usr/bin/env bash
# Installs what the Spark side needs (idempotent, safe to re-run): a Java runtime from Debian when
# none is on PATH, and the Spark that pyspark ships (its jars include the Thrift Server) from PyPI.
# Override the Python with PYTHON=/path/to/python3.
set -euo pipefail

PYSPARK_VERSION=3.5.9
JAVA_PACKAGE=openjdk-17-jre-headless
PYTHON=${PYTHON:-python3}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup:spark: '$*' needs root; run it as root or install sudo" >&2; exit 1
  fi
}

if ! command -v java >/dev/null 2>&1; then
  echo "setup:spark: installing $JAVA_PACKAGE from Debian"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$JAVA_PACKAGE" >/dev/null
fi

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "setup:spark: $PYTHON not found; install Python 3 (Debian: python3 python3-pip) or set PYTHON=/path/to/python3" >&2
  exit 1
fi

installed=$("$PYTHON" -c 'import pyspark; print(pyspark.__version__)' 2>/dev/null || true)
if [ "$installed" != "$PYSPARK_VERSION" ]; then
  echo "setup:spark: installing pyspark==$PYSPARK_VERSION from PyPI (about 300 MB; the Spark Thrift Server comes with it)"
  # Debian's own Python refuses system-wide pip installs (PEP 668) unless told otherwise.
  if "$PYTHON" -m pip install --help 2>/dev/null | grep -q -- '--break-system-packages'; then
    "$PYTHON" -m pip install -q --break-system-packages "pyspark==$PYSPARK_VERSION"
  else
    "$PYTHON" -m pip install -q "pyspark==$PYSPARK_VERSION"
  fi
fi

home=$("$PYTHON" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
if ! ls "$home"/jars/spark-hive-thriftserver_*.jar >/dev/null 2>&1; then
  echo "setup:spark: $home/jars has no spark-hive-thriftserver jar; this pyspark cannot run the Thrift Server" >&2
  exit 1
fi
