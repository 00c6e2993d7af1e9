#!/bin/sh
# Entry point of the renderer image that carries nginx: supervises both. nginx runs in the foreground of a child
# (master pid in /run/nginx.pid, which the renderer signals to reload and the HEALTHCHECK watches), the renderer
# beside it. When either exits, the other is stopped and the container exits non-zero with a line saying which
# one died and how, so the restart policy brings both back (nginx dying is never left to the healthcheck alone).
# SIGTERM/SIGINT stop the renderer first (it finishes or undoes its batch), then nginx gracefully (SIGQUIT); SIGHUP
# goes to the renderer (it reloads its templates).
# POSIX sh: the image's /bin/sh may be dash or busybox ash (no bash, no `wait -n`), so it polls /proc once a second.
set -eu

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

# Running, and not a zombie waiting to be reaped (kill -0 succeeds on those).
alive() {
  [ -r "/proc/$1/stat" ] || return 1
  read -r _ _ state _ < "/proc/$1/stat" || return 1
  [ "$state" != Z ]
}

# Sends a signal, gives the process 10 s to exit, then kills it; reaps it either way.
stop_pid() {
  kill "-$2" "$1" 2>/dev/null || true
  tries=0
  while alive "$1" && [ "$tries" -lt 10 ]; do
    sleep 1
    tries=$((tries + 1))
  done
  if alive "$1"; then
    say "pid $1 did not exit within 10 s of SIG$2; killing it"
    kill -KILL "$1" 2>/dev/null || true
  fi
  wait "$1" 2>/dev/null || true
}

# shellcheck disable=SC2317  # called from the trap below
stop_both() {
  stop_pid "$renderer_pid" TERM
  stop_pid "$nginx_pid" QUIT
}
trap 'say "stopping: renderer, then nginx"; stop_both; exit 0' TERM INT
# SIGHUP (`docker kill -s HUP`) is the renderer's: it re-reads its templates and renders, then reloads nginx itself.
# Without this trap the shell would die of it and take the container down.
trap 'say "SIGHUP: passing it to the renderer"; kill -HUP "$renderer_pid" 2>/dev/null || true' HUP

while alive "$nginx_pid" && alive "$renderer_pid"; do
  # A background sleep, so a trapped signal interrupts the wait at once.
  sleep 1 &
  wait "$!" || true
done

status=0
if ! alive "$nginx_pid"; then
  wait "$nginx_pid" || status=$?
  say "nginx (pid $nginx_pid) exited with status $status; stopping the renderer and exiting so the container restarts"
  stop_pid "$renderer_pid" TERM
  [ "$status" -ne 0 ] || status=1
else
  wait "$renderer_pid" || status=$?
  say "the renderer (pid $renderer_pid) exited with status $status; stopping nginx and exiting so the container restarts"
  stop_pid "$nginx_pid" QUIT
fi
exit "$status"
