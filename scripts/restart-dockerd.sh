#!/usr/bin/env bash
# Restarts a plain dockerd (what `systemctl restart docker` does on a systemd host). Used by registrator's
# "dockerd restarted while registrator runs" test. Needs root.
set -euo pipefail
# shellcheck source=scripts/lib/dockerd.sh
source "$(dirname "$0")/lib/dockerd.sh"
stop_dockerd
start_dockerd
