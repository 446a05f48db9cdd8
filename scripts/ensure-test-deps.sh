#!/usr/bin/env bash
# Install system tools the test suite needs when they are missing (Java for HermiT; Debian's
# Chromium for the Playwright browser tests, tests/test_browser.py: never `playwright install`;
# Virtuoso for the remote-store tests, which start their own `virtuoso-t` on loopback).
set -euo pipefail
need=()
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v virtuoso-t >/dev/null 2>&1 || need+=(virtuoso-opensource)
if [ ${#need[@]} -gt 0 ]; then
  as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      as_root=(sudo -n)
    else
      echo "missing: ${need[*]} (install them, or run as root or with sudo)" >&2; exit 2
    fi
  fi
  # Never start the packages' own services (virtuoso-opensource would start one on ports
  # 1111/8890; the tests start their own server): a policy-rc.d that denies every start, for
  # the length of the install, unless the machine already has one.
  rc=/usr/sbin/policy-rc.d
  if [ ! -e "$rc" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$rc" >/dev/null
    "${as_root[@]}" chmod 755 "$rc"
    trap '"${as_root[@]}" rm -f "$rc"' EXIT
  fi
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
