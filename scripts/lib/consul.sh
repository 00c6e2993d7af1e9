# shellcheck shell=bash
# Consul HTTP API from bash with curl, configured like the consul CLI: CONSUL_HTTP_ADDR (host:port or a URL),
# CONSUL_HTTP_TOKEN or CONSUL_HTTP_TOKEN_FILE, CONSUL_HTTP_SSL, CONSUL_CACERT, CONSUL_HTTP_SSL_VERIFY.
# The token travels as an X-Consul-Token header read from a process substitution: it is never in argv (ps),
# never echoed, never logged. JSON is read with jq.

consul_base_url() {
  local address="${CONSUL_HTTP_ADDR:-127.0.0.1:8500}"
  case "$address" in
    http://*|https://*) printf '%s' "${address%/}" ;;
    unix://*) die "CONSUL_HTTP_ADDR=unix://... is not supported by these scripts" ;;
    *)
      if [ "${CONSUL_HTTP_SSL:-false}" = "true" ] || [ "${CONSUL_HTTP_SSL:-0}" = "1" ]; then
        printf 'https://%s' "$address"
      else
        printf 'http://%s' "$address"
      fi
      ;;
  esac
}

# consul_token: the ACL token (empty when none), from CONSUL_HTTP_TOKEN or CONSUL_HTTP_TOKEN_FILE.
consul_token() {
  if [ -n "${CONSUL_HTTP_TOKEN:-}" ]; then
    printf '%s' "$CONSUL_HTTP_TOKEN"
  elif [ -n "${CONSUL_HTTP_TOKEN_FILE:-}" ]; then
    tr -d '\r\n' <"$CONSUL_HTTP_TOKEN_FILE"
  fi
}

# consul_request METHOD PATH_AND_QUERY [CURL_ARGS...]: prints the response body; returns 1 (logging the status
# and body) on a non-2xx answer or a transport error. PATH_AND_QUERY must already be URL-encoded.
consul_request() {
  local method="$1" path="$2"
  shift 2
  local token
  token="$(consul_token)"
  # printf is a builtin: the token reaches curl through a pipe, not through its argv.
  local curl_args=(--silent --show-error --max-time "${CONSUL_REQUEST_TIMEOUT:-10}" --request "$method"
    --write-out '\n%{http_code}' --header @<([ -z "$token" ] || printf 'X-Consul-Token: %s\n' "$token"))
  [ -z "${CONSUL_CACERT:-}" ] || curl_args+=(--cacert "$CONSUL_CACERT")
  [ "${CONSUL_HTTP_SSL_VERIFY:-true}" != "false" ] || curl_args+=(--insecure)
  local response status body
  if ! response="$(curl "${curl_args[@]}" "$@" "$(consul_base_url)$path")"; then
    log "consul: $method $path: no answer from $(consul_base_url)"
    return 1
  fi
  status="${response##*$'\n'}"
  body="${response%$'\n'*}"
  if [ "${status:0:1}" != "2" ]; then
    log "consul: $method $path: HTTP $status: ${body:0:300}"
    return 1
  fi
  printf '%s' "$body"
}

# urlencode TEXT: percent-encodes everything but unreserved characters (for reasons in query strings).
urlencode() {
  jq -rn --arg text "$1" '$text | @uri'
}

# consul_service_maintenance SERVICE_ID on|off REASON: the agent's maintenance mode for one service instance.
consul_service_maintenance() {
  local id="$1" state="$2" reason="${3:-}"
  local enable=false
  [ "$state" = on ] && enable=true
  consul_request PUT "/v1/agent/service/maintenance/$(urlencode "$id")?enable=$enable&reason=$(urlencode "$reason")" >/dev/null
}

# consul_node_maintenance on|off REASON: the agent's node maintenance (every service on the node goes critical).
consul_node_maintenance() {
  local state="$1" reason="${2:-}"
  local enable=false
  [ "$state" = on ] && enable=true
  consul_request PUT "/v1/agent/maintenance?enable=$enable&reason=$(urlencode "$reason")" >/dev/null
}

# consul_passing_ids SERVICE: the IDs of the service's passing instances, cluster-wide, one per line.
consul_passing_ids() {
  consul_request GET "/v1/health/service/$(urlencode "$1")?passing" | jq -r '.[].Service.ID'
}

# consul_passing_count SERVICE [NODE]: how many instances pass (on NODE only, when given).
consul_passing_count() {
  consul_request GET "/v1/health/service/$(urlencode "$1")?passing" |
    jq --arg node "${2:-}" '[.[] | select($node == "" or .Node.Node == $node)] | length'
}

# consul_instance_count SERVICE NODE: how many instances NODE has registered, passing or not.
consul_instance_count() {
  consul_request GET "/v1/health/service/$(urlencode "$1")" |
    jq --arg node "$2" '[.[] | select(.Node.Node == $node)] | length'
}

# consul_agent_node_name: the node name of the agent at CONSUL_HTTP_ADDR.
consul_agent_node_name() {
  consul_request GET /v1/agent/self | jq -r '.Config.NodeName'
}

# consul_services_of_container CONTAINER_ID CONTAINER_NAME [SERVICE_NAME]: the agent's service instances that
# belong to a container (of SERVICE_NAME only, when given), as "ID<TAB>address:port" lines. A service belongs to
# it when one ":"-separated part of its ID is the container's name or short ID (registrator's
# "<host>:<container>:<port>" IDs), or a Meta value is the container's full ID or name.
consul_services_of_container() {
  local full_id="$1" name="$2" service="${3:-}"
  consul_request GET /v1/agent/services | jq -r --arg id "$full_id" --arg short "${full_id:0:12}" --arg name "${name#/}" --arg service "$service" '
    to_entries[] | .value
    | select($service == "" or .Service == $service)
    | select(
        ((.ID | split(":")) as $parts | ($parts | index($name)) != null or ($parts | index($short)) != null)
        or ((.Meta // {}) | [.[]] | (index($id) != null or index($name) != null)))
    | "\(.ID)\t\(.Address):\(.Port)"'
}

# consul_service_is_passing SERVICE_NAME SERVICE_ID: true when that instance is among the passing ones.
consul_service_is_passing() {
  local ids
  ids="$(consul_passing_ids "$1")" || return 1
  grep -qxF -- "$2" <<<"$ids"
}
