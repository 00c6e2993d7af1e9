# shellcheck shell=bash
# Durations and waiting with deadlines: poll a command until it succeeds or the deadline passes.

# duration_ms "1m30s" | "10s" | "250ms" | "2" (seconds) -> milliseconds on stdout; fails on anything else.
duration_ms() {
  local text="$1" total=0 number unit
  [[ "$text" =~ ^[0-9]+$ ]] && { echo $((text * 1000)); return 0; }
  [[ "$text" =~ ^([0-9]+(ms|h|m|s))+$ ]] || { log "not a duration: \"$text\" (use 250ms, 10s, 2m, 1h or seconds)"; return 1; }
  while [[ "$text" =~ ^([0-9]+)(ms|h|m|s)(.*)$ ]]; do
    number="${BASH_REMATCH[1]}"
    unit="${BASH_REMATCH[2]}"
    text="${BASH_REMATCH[3]}"
    case "$unit" in
      ms) total=$((total + number)) ;;
      s) total=$((total + number * 1000)) ;;
      m) total=$((total + number * 60000)) ;;
      h) total=$((total + number * 3600000)) ;;
    esac
  done
  echo "$total"
}

now_ms() {
  echo $(( $(date +%s%N) / 1000000 ))
}

# sleep_ms MS: sleeps that long (GNU and busybox sleep take fractions of a second).
sleep_ms() {
  sleep "$(( $1 / 1000 )).$(printf '%03d' $(( $1 % 1000 )))"
}

# wait_until TIMEOUT_MS INTERVAL_MS WHAT COMMAND [ARGS...]: runs COMMAND until it succeeds (returns 0) or
# TIMEOUT_MS passes (returns 1, having logged WHAT). Logs progress every ~10 s so a Jenkins console shows life.
wait_until() {
  local timeout_ms="$1" interval_ms="$2" what="$3"
  shift 3
  local started deadline next_note now
  started="$(now_ms)"
  deadline=$((started + timeout_ms))
  next_note=$((started + 10000))
  while true; do
    if "$@"; then
      return 0
    fi
    now="$(now_ms)"
    if [ "$now" -ge "$deadline" ]; then
      log "gave up after $((timeout_ms / 1000))s waiting for $what"
      return 1
    fi
    if [ "$now" -ge "$next_note" ]; then
      log "still waiting for $what ($(((now - started) / 1000))s)"
      next_note=$((now + 10000))
    fi
    sleep_ms "$interval_ms"
  done
}
