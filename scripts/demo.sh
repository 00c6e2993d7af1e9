#!/usr/bin/env bash
# `npm run demo`: the whole suite on loopback, narrated. Needs `scripts/setup-machine.sh` to have run once.
# `npm run demo -- --hosts 3`: the multi-host act (three hosts in a swarm, one killed, capacity back); needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f packages/core/dist/index.js ]; then
  echo "demo: the project is not built yet; run: bash scripts/setup-machine.sh" >&2
  exit 1
fi
if [ "${1:-}" = "--hosts" ]; then
  if [ "${2:-}" != "3" ]; then
    echo "demo: --hosts takes 3 (the multi-host act runs three swarm hosts and an edge host), got '${2:-}'" >&2
    exit 2
  fi
  shift 2
  exec node --require tsx/cjs scripts/demo/multi-host.ts "$@"
fi
exec node --require tsx/cjs scripts/demo/demo.ts "$@"
