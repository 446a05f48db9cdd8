#!/usr/bin/env bash
# Install system tools the test suite needs when they are missing (Java for HermiT; Debian's
# Chromium for the Playwright browser tests, tests/test_browser.py: never `playwright install`;
# Virtuoso for the remote-store tests, which start their own `virtuoso-t` on loopback; nginx for
# the deployment test, tests/cli/test_deployment.py, which starts its own on loopback).
set -euo pipefail
need=()
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v virtuoso-t >/dev/null 2>&1 || need+=(virtuoso-opensource)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need+=(nginx)
exec "$(dirname "$0")/apt-install.sh" "${need[@]}"
