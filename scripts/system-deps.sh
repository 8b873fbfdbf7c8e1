#!/usr/bin/env bash
# Installs or finds what the test suite needs outside Python. Fails loudly: tests that need
# these are never skipped in `make test`.
#   - Chromium (Debian package) for the browser tests of the stakeholder HTML;
#   - Java 17 for the PySpark parity tests (on the machine already; we only check).
set -euo pipefail

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "system-deps: need root (or sudo) to run: $*" >&2; return 1; fi
}

if ! command -v chromium >/dev/null 2>&1; then
  echo "system-deps: installing Chromium from Debian packages (browser tests need it)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
chromium --version

java_bin=""
if command -v java >/dev/null 2>&1; then java_bin=$(command -v java); else
  for candidate in /usr/lib/jvm/*/bin/java; do [ -x "$candidate" ] && java_bin=$candidate; done
fi
if [ -z "$java_bin" ]; then
  echo "system-deps: Java 17 not found; PySpark parity tests need it" \
       "(apt-get install openjdk-17-jre-headless)" >&2
  exit 1
fi
"$java_bin" -version 2>&1 | head -1
