#!/usr/bin/env bash
# Entry point of the renderer image that carries nginx: supervises both. nginx runs in the foreground of a child
# (master pid in /run/nginx.pid, which the renderer signals to reload and the HEALTHCHECK watches), the renderer
# beside it. When either exits, the other is stopped and the container exits non-zero with a line saying which
# one died and how, so the restart policy brings both back (nginx dying is never left to the healthcheck alone).
# SIGTERM/SIGINT stop the renderer first (it finishes or undoes its batch), then nginx gracefully (SIGQUIT).
set -euo pipefail

say() { printf 'renderer-nginx-entrypoint: %s\n' "$*" >&2; }

# nginx refuses to start on a broken config; say so plainly instead of a bare exit status.
if ! nginx -t -q; then
  say "nginx -t failed on the configuration in /etc/nginx; not starting"
  exit 1
fi

nginx -g 'daemon off;' &
nginx_pid=$!
node /app/packages/renderer/bin/renderer.js "$@" &
renderer_pid=$!

stopping=0
# shellcheck disable=SC2317  # called from the trap below
stop_both() {
  stopping=1
  kill -TERM "$renderer_pid" 2>/dev/null || true
  wait "$renderer_pid" 2>/dev/null || true
  kill -QUIT "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
}
trap 'say "stopping: renderer, then nginx"; stop_both; exit 0' TERM INT

# wait -n returns when the first child exits (or a trapped signal arrives; the trap then exits).
set +e
wait -n "$nginx_pid" "$renderer_pid"
status=$?
set -e
[ "$stopping" -eq 1 ] && exit 0
if ! kill -0 "$nginx_pid" 2>/dev/null; then
  say "nginx (pid $nginx_pid) exited with status $status; stopping the renderer and exiting so the container restarts"
  kill -TERM "$renderer_pid" 2>/dev/null || true
  wait "$renderer_pid" 2>/dev/null || true
  [ "$status" -eq 0 ] && status=1
else
  say "the renderer (pid $renderer_pid) exited with status $status; stopping nginx and exiting so the container restarts"
  kill -QUIT "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
fi
exit "$status"
