# shellcheck shell=bash
# Logging for the deploy scripts: one line per event on stderr, prefixed with the script's name and a UTC time.

log() {
  printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${SCRIPT_NAME:-${0##*/}}" "$*" >&2
}

die() {
  log "error: $*"
  exit 1
}

# usage_error MESSAGE: a bad command line; exit 2 as getopt-style tools do.
usage_error() {
  log "$*"
  log "try --help"
  exit 2
}

require_command() {
  local command
  for command in "$@"; do
    command -v "$command" >/dev/null 2>&1 || die "$command is needed and not on PATH (Debian: apt-get install $command)"
  done
}
