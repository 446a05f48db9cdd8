#!/usr/bin/env bash
# Install Debian packages as root (or with password-less sudo), never starting their services.
# Usage: scripts/apt-install.sh PACKAGE...  Exit 2, naming the packages, when it cannot install.
set -euo pipefail
[ $# -gt 0 ] || exit 0
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "missing: $* (install them with apt-get, or run as root or with sudo)" >&2; exit 2
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "missing: $* (no apt-get on this machine: install them with its package manager)" >&2
  exit 2
fi
# Never start the packages' own services (virtuoso-opensource would start one on ports
# 1111/8890, nginx one on port 80; the tests and the benchmark start their own on loopback): a
# policy-rc.d that denies every start, for the length of the install, unless one exists.
rc=/usr/sbin/policy-rc.d
if [ ! -e "$rc" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$rc" >/dev/null
  "${as_root[@]}" chmod 755 "$rc"
  trap '"${as_root[@]}" rm -f "$rc"' EXIT
fi
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
