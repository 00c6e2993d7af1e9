#!/usr/bin/env bash
# `npm run demo`: the whole suite on loopback, narrated. Needs `scripts/setup-machine.sh` to have run once.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f packages/core/dist/index.js ]; then
  echo "demo: the project is not built yet; run: bash scripts/setup-machine.sh" >&2
  exit 1
fi
exec node --require tsx/cjs scripts/demo/demo.ts "$@"
