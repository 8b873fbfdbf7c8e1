#!/usr/bin/env bash
# Installs or finds what the test suite needs outside Python. Fails loudly: tests that need
# these are never skipped in `make test`.
set -euo pipefail

need_java() {
  if command -v java >/dev/null 2>&1; then return 0; fi
  for candidate in /usr/lib/jvm/*/bin/java; do
    if [ -x "$candidate" ]; then return 0; fi
  done
  echo "system-deps: Java 17 not found; PySpark parity tests need it (apt-get install openjdk-17-jre-headless)" >&2
  return 1
}

need_java
