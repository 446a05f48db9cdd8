#!/usr/bin/env bash
# Install the system tools `make bench` needs when they are missing: wrk (the load generator)
# and nginx (the documented deployment's cache, started by the benchmark on loopback).
set -euo pipefail
need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need+=(nginx)
exec "$(dirname "$0")/apt-install.sh" "${need[@]}"
