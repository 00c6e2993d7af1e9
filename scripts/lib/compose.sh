# shellcheck shell=bash
# docker-compose (1.29) helpers for the deploy scripts. COMPOSE_ARGS (an array: -f/-p/--project-directory/
# --env-file) must be set by the caller; COMPOSE_CMD may name another compose binary (default docker-compose).

compose() {
  "${COMPOSE_CMD:-docker-compose}" "${COMPOSE_ARGS[@]}" "$@"
}

# compose_running_ids SERVICE: full IDs of the service's running containers, oldest container number first.
compose_running_ids() {
  local ids=()
  mapfile -t ids < <(compose ps -q "$1")
  [ "${#ids[@]}" -gt 0 ] || return 0
  docker inspect --format '{{ index .Config.Labels "com.docker.compose.container-number" }} {{ .Id }} {{ .State.Running }}' "${ids[@]}" |
    awk '$3 == "true" { print $1, $2 }' | sort -n | awk '{ print $2 }'
}

# env_file_set FILE NAME VALUE: sets NAME=VALUE in a compose .env file, keeping every other line.
env_file_set() {
  local file="$1" name="$2" value="$3" tmp
  tmp="$(mktemp "$file.XXXXXX")"
  if [ -f "$file" ]; then
    grep -v -e "^${name}=" "$file" >"$tmp" || true
  fi
  printf '%s=%s\n' "$name" "$value" >>"$tmp"
  mv "$tmp" "$file"
}

# env_file_get FILE NAME: the value of NAME in a compose .env file (empty when absent).
env_file_get() {
  local file="$1" name="$2"
  [ -f "$file" ] || return 0
  grep -e "^${name}=" "$file" | tail -n 1 | cut -d= -f2-
}
