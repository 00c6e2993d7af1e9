#!/usr/bin/env bash
# Starting and stopping a plain dockerd (no systemd on CI machines), shared by setup-machine.sh and
# restart-dockerd.sh. Source it; the functions need root.

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/consul-sidecars-dockerd.log}

dockerd_answers() {
  docker info >/dev/null 2>&1
}

# Starts dockerd detached from this shell and waits up to 60 s for it to answer.
start_dockerd() {
  setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  local _
  for _ in $(seq 1 60); do
    dockerd_answers && return 0
    sleep 1
  done
  echo "dockerd did not answer within 60 s; its log:" >&2
  tail -n 30 "$DOCKERD_LOG" >&2 || true
  return 1
}

# Stops the running dockerd (SIGTERM, as a service manager would) and waits up to 60 s for it to exit.
stop_dockerd() {
  local pid _
  pid=$(cat /var/run/docker.pid 2>/dev/null || pgrep -x dockerd || true)
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 1
  done
  echo "dockerd ($pid) did not stop within 60 s" >&2
  return 1
}
