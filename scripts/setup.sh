#!/usr/bin/env bash
# Installs what Seatbelt needs and builds it. `npm start` and `npm test` run
# this first, so a fresh machine needs no other step.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: bubblewrap for the sandboxes, and Debian's Python with
# numpy as the sessions' default interpreter.
missing=()
if [ "$(uname -s)" = Linux ]; then
  command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
  [ -x /usr/bin/python3 ] || missing+=(python3)
  /usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 || missing+=(python3-numpy)
  # The TLS tests create their certificates with openssl.
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${missing[*]}" >&2
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    echo "setup: missing system packages: ${missing[*]}" >&2
    echo "setup: install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

npx buf generate
npx tsc -b server client
