#!/usr/bin/env bash
# Consul watch handler for the healer. A watch hands its handler the full current view on stdin (and
# CONSUL_INDEX in the environment); the healer treats that only as a wake-up hint and re-reads live health
# itself, so stale or repeated firings (agent start, `consul reload`) cannot make it act twice.
#
# It pokes the running healer's loopback trigger endpoint; if no healer answers, it runs one pass instead:
#   healer run --once <the arguments given to this script>
# so the watch's args carry what the one-shot needs, e.g. ["healer-watch-handler.sh", "--desired", "/etc/healer/desired.json"].
#
# Environment:
#   HEALER_TRIGGER_URL      trigger endpoint (default http://127.0.0.1:9766/trigger)
#   HEALER_TRIGGER_SOURCE   source name in the healer's logs and metrics (default consul-watch)
#   HEALER_TRIGGER_TIMEOUT  seconds to wait for the healer to accept the hint (default 5)
#   HEALER_BIN              the healer executable for the fallback (default: healer on PATH)
set -euo pipefail

trigger_url="${HEALER_TRIGGER_URL:-http://127.0.0.1:9766/trigger}"
source_name="${HEALER_TRIGGER_SOURCE:-consul-watch}"
timeout_seconds="${HEALER_TRIGGER_TIMEOUT:-5}"
healer_bin="${HEALER_BIN:-healer}"

payload="$(mktemp)"
trap 'rm -f "${payload}"' EXIT
# Always drain stdin: Consul's agent writes the whole view and a handler that stops reading can block it.
cat >"${payload}"

curl_args=(
  --silent --show-error --fail
  --max-time "${timeout_seconds}"
  --request POST
  --header 'content-type: application/json'
  --data-binary "@${payload}"
)
if [[ -n "${CONSUL_INDEX:-}" ]]; then
  curl_args+=(--header "X-Consul-Index: ${CONSUL_INDEX}")
fi

if curl "${curl_args[@]}" "${trigger_url}?source=${source_name}" >/dev/null; then
  exit 0
fi

echo "healer-watch-handler: no healer answered at ${trigger_url}; running one pass" >&2
if ! command -v "${healer_bin}" >/dev/null 2>&1; then
  echo "healer-watch-handler: ${healer_bin} not found; set HEALER_BIN" >&2
  exit 2
fi
exec "${healer_bin}" run --once "$@"
