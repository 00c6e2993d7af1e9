#!/usr/bin/env bash
# Builds the consul-sidecars images (consul-sidecars/<name>:<version>) from this checkout, offline: the context
# is an explicit tar of package.json, the lockfile, node_modules and each package's bin/ + dist/, so run
# `npm ci && npm run build` first. Without a pulled node:20-bookworm-slim (CI), it first makes a local one, and
# for the renderer and the healer a local base that carries this machine's nginx / docker-compose.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/build-images.sh [--version V] [--variant full|offline|auto] [--no-base] [NAME...]

NAME: registrator renderer healer f5-sync consul-standin bigip-standin docker-socket-proxy (default: all).
  --version V    image tag (default: $IMAGE_VERSION or "dev")
  --variant      full:    renderer with nginx, healer with docker-compose: apt-get runs in the build on a
                          pulled base; on the local base (make-local-base-image.sh) they come from local tool
                          bases with this machine's Debian nginx / docker-compose (make-local-tool-base.sh)
                 offline: renderer-no-nginx and healer-no-compose targets, tagged <version>-no-nginx /
                          <version>-no-compose; need neither apt nor the host's packages
                 auto:    full, except offline for an image whose tool is not installed on this machine when
                          the base is the local one (default)
  --no-base      do not make the local base images when they are missing
  -h, --help     this text
Prints one line per image: name, tag, seconds.
USAGE
}

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly repo
readonly ALL_IMAGES=(registrator renderer healer f5-sync consul-standin bigip-standin docker-socket-proxy)
base_image="${BASE_IMAGE:-node:20-bookworm-slim}"
version="${IMAGE_VERSION:-dev}"
variant=auto
make_base=1
images=()

while [ "$#" -gt 0 ]; do
  case "$1" in
    --version) version="${2:?--version needs a value}"; shift 2 ;;
    --variant) variant="${2:?--variant needs a value}"; shift 2 ;;
    --no-base) make_base=0; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "build-images: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) images+=("$1"); shift ;;
  esac
done
[ "${#images[@]}" -gt 0 ] || images=("${ALL_IMAGES[@]}")

for name in "${images[@]}"; do
  case " ${ALL_IMAGES[*]} " in
    *" $name "*) ;;
    *) echo "build-images: unknown image $name (known: ${ALL_IMAGES[*]})" >&2; exit 2 ;;
  esac
done

if [ "$make_base" -eq 1 ]; then
  BASE_IMAGE="$base_image" "$repo/scripts/make-local-base-image.sh"
fi
case "$variant" in full|offline|auto) ;; *) echo "build-images: --variant must be full, offline or auto" >&2; exit 2 ;; esac
local_base="$(docker image inspect --format '{{ index .Config.Labels "org.consul-sidecars.local-base" }}' "$base_image" 2>/dev/null || true)"

# On the local base, the renderer's nginx and the healer's docker-compose come from a second local base made from
# this machine's packages (nothing can be installed inside the build): tool_base_arg_of[name] names it.
declare -A variant_of=() tool_base_arg_of=()
for name in "${images[@]}"; do
  if [ "$variant" = auto ]; then variant_of["$name"]=full; else variant_of["$name"]="$variant"; fi
  case "$name" in renderer) tool=nginx; arg=NGINX_BASE_IMAGE ;; healer) tool=compose; arg=COMPOSE_BASE_IMAGE ;; *) continue ;; esac
  if [ "${variant_of[$name]}" != full ] || [ "$local_base" != "true" ]; then continue; fi
  tool_tag="consul-sidecars/local-base:$tool"
  # Staged afresh from this machine's packages when bases are made (kept when unchanged), else used as it is.
  tool_ready=0
  if [ "$make_base" -eq 1 ]; then
    if "$repo/scripts/make-local-tool-base.sh" --base "$base_image" --tag "$tool_tag" "$tool" >&2; then tool_ready=1; fi
  elif docker image inspect "$tool_tag" >/dev/null 2>&1; then
    tool_ready=1
  fi
  if [ "$tool_ready" -eq 1 ]; then
    tool_base_arg_of["$name"]="$arg=$tool_tag"
  elif [ "$variant" = auto ]; then
    echo "build-images: $name: no local base with $tool ($tool_tag); building the offline variant" >&2
    variant_of["$name"]=offline
  else
    echo "build-images: $name: --variant full on the local base needs $tool_tag (scripts/make-local-tool-base.sh $tool)" >&2
    exit 1
  fi
done

# The socket proxy is Debian's haproxy, not a node image: on the local base (CI: no pull, no apt-get in a build)
# it is built on a local base carrying this machine's haproxy (docker/make-local-haproxy-base.sh).
for name in "${images[@]}"; do
  if [ "$name" != docker-socket-proxy ] || [ "$local_base" != "true" ]; then continue; fi
  if [ "$make_base" -eq 1 ]; then "$repo/docker/make-local-haproxy-base.sh" >&2; fi
  tool_base_arg_of["$name"]="HAPROXY_BASE_IMAGE=consul-sidecars/local-base:haproxy"
done

# The paths one image's build context needs (relative to the repo root).
context_paths() {
  local name="$1"
  case "$name" in
    docker-socket-proxy)
      printf '%s\n' "docker/$name.Dockerfile" compose/docker-socket-proxy/haproxy.cfg
      ;;
    consul-standin|bigip-standin)
      printf '%s\n' "docker/$name.Dockerfile" "packages/$name/package.json" "packages/$name/bin" "packages/$name/dist"
      ;;
    *)
      printf '%s\n' "docker/$name.Dockerfile" docker/keep-workspaces.js package.json package-lock.json node_modules \
        packages/core/package.json packages/core/dist \
        "packages/$name/package.json" "packages/$name/bin" "packages/$name/dist"
      [ "$name" != renderer ] || printf '%s\n' docker/renderer-nginx-entrypoint.sh packages/renderer/templates packages/renderer/lua
      ;;
  esac
}

# Target and tag suffix for the variant: the offline variant of renderer and healer lacks nginx / compose.
target_of() {
  case "${variant_of[$1]}:$1" in
    offline:renderer) echo renderer-no-nginx ;;
    offline:healer) echo healer-no-compose ;;
    *) echo "" ;;
  esac
}

build_log="$(mktemp "${TMPDIR:-/tmp}/cs-build-images-XXXXXX")"
trap 'rm -f "$build_log"' EXIT

for name in "${images[@]}"; do
  mapfile -t paths < <(context_paths "$name")
  for path in "${paths[@]}"; do
    if [ ! -e "$repo/$path" ]; then
      echo "build-images: $path is missing; run \`npm ci && npm run build\` first" >&2
      exit 1
    fi
  done
  target="$(target_of "$name")"
  tag="consul-sidecars/$name:$version${target:+-${target#"$name"-}}"
  build_args=(build --quiet --file "docker/$name.Dockerfile" --tag "$tag" --build-arg "BASE_IMAGE=$base_image"
    --label "org.opencontainers.image.title=consul-sidecars-$name"
    --label "org.opencontainers.image.version=$version")
  if git -C "$repo" rev-parse HEAD >/dev/null 2>&1; then
    build_args+=(--label "org.opencontainers.image.revision=$(git -C "$repo" rev-parse HEAD)")
  fi
  [ -z "$target" ] || build_args+=(--target "$target")
  [ -z "${tool_base_arg_of[$name]:-}" ] || build_args+=(--build-arg "${tool_base_arg_of[$name]}")
  started_ns="$(date +%s%N)"
  # The context is a tar stream of exactly these paths (symlinks kept: node_modules/@consul-sidecars/* are links).
  # Its stderr is shown only on failure (the legacy builder's deprecation notice is noise here).
  if ! tar -C "$repo" --exclude='*.tsbuildinfo' -cf - "${paths[@]}" | docker "${build_args[@]}" - >/dev/null 2>"$build_log"; then
    echo "build-images: building $tag failed:" >&2
    grep -v -e DEPRECATED -e 'legacy builder' -e buildx -e '^ *$' "$build_log" >&2 || true
    exit 1
  fi
  elapsed_ms=$(( ($(date +%s%N) - started_ns) / 1000000 ))
  printf '%-15s %-45s %d.%01ds\n' "$name" "$tag" "$((elapsed_ms / 1000))" "$(( (elapsed_ms % 1000) / 100 ))"
done
