#!/usr/bin/env bash
# Prepares a fresh machine for the demo and the tests: Debian packages, a running dockerd, npm ci and the build.
# Idempotent: what is already there is kept. Run as root (or with sudo available).
set -euo pipefail

cd "$(dirname "$0")/.."

APT_PACKAGES=(docker.io docker-compose nginx-extras lua-cjson busybox-static shellcheck wrk curl jq openssl iproute2 procps
  iptables util-linux haproxy keepalived dnsmasq-base prometheus ansible python3-consul)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing_packages() {
  local package
  for package in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || printf '%s\n' "$package"
  done
}

mapfile -t missing < <(missing_packages)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian starts nginx on port 80 when it is installed; the suite runs its own nginx processes on loopback ports.
if [ -f /run/nginx.pid ] && [ "${KEEP_SYSTEM_NGINX:-0}" != "1" ]; then
  as_root nginx -s stop 2>/dev/null || true
fi

# shellcheck source=scripts/lib/dockerd.sh
source scripts/lib/dockerd.sh
if ! dockerd_answers; then
  echo "setup: starting dockerd"
  if [ "$(id -u)" -eq 0 ]; then start_dockerd; else sudo bash -c 'source scripts/lib/dockerd.sh && start_dockerd'; fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build
echo "setup: ready (docker $(docker version --format '{{.Server.Version}}'), $(nginx -v 2>&1), node $(node --version))"
