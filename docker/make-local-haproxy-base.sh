#!/usr/bin/env bash
# Makes the local base docker/docker-socket-proxy.Dockerfile builds on in CI, which can neither pull nor apt-get
# inside a build: an image FROM scratch with this machine's Debian haproxy (/usr/sbin/haproxy and the libraries ldd
# finds for it, the dynamic loader included) and busybox-static as /bin/sh (the Dockerfile's RUN and HEALTHCHECK).
# Like scripts/make-local-tool-base.sh, the image is rebuilt only when its fingerprint (Dockerfile, each file's path,
# size and mtime) differs from the tagged image's, so an unchanged one costs well under a second.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: docker/make-local-haproxy-base.sh [--tag TAG]

Builds TAG (default consul-sidecars/local-base:haproxy) FROM scratch with this machine's haproxy and busybox.
Prints the tag and seconds.
  --tag TAG     the tag to create
  -h, --help    this text
Needs: docker, ldd, haproxy (apt-get install haproxy), busybox-static (/bin/busybox).
USAGE
}

tag="consul-sidecars/local-base:haproxy"
while [ "$#" -gt 0 ]; do
  case "$1" in
    --tag) tag="${2:?--tag needs a value}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "make-local-haproxy-base: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

haproxy_bin="$(readlink -f "$(command -v haproxy || echo /usr/sbin/haproxy)")"
[ -x "$haproxy_bin" ] || { echo "make-local-haproxy-base: haproxy is not installed (apt-get install haproxy)" >&2; exit 1; }
[ -x /bin/busybox ] || { echo "make-local-haproxy-base: /bin/busybox is missing (apt-get install busybox-static)" >&2; exit 1; }

started_ns="$(date +%s%N)"
work="$(mktemp -d "${TMPDIR:-/tmp}/cs-haproxy-base-XXXXXX")"
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root/bin" "$root/usr/sbin" "$root/tmp" "$root/etc"
chmod 1777 "$root/tmp"
cp --preserve=mode,timestamps /bin/busybox "$root/bin/busybox"
cp --preserve=mode,timestamps "$haproxy_bin" "$root/usr/sbin/haproxy"
# Every library ldd resolves, the loader and libc included (this base has none of its own), dereferenced, at the
# path ldd found it.
while IFS= read -r library; do
  mkdir -p "$root$(dirname "$library")"
  cp -L --preserve=mode,timestamps "$library" "$root$library"
done < <(ldd "$haproxy_bin" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' | sort -u)
printf 'root:x:0:0:root:/root:/bin/sh\nhaproxy:x:1000:1000:haproxy:/nonexistent:/usr/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nhaproxy:x:1000:\n' >"$root/etc/group"
touch -d @0 "$root/etc/passwd" "$root/etc/group"   # made here: a fixed mtime keeps the fingerprint stable

cat >"$work/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN haproxy -v
LABEL org.consul-sidecars.local-base=true org.consul-sidecars.local-base.tool=haproxy
DOCKERFILE

layer_kb="$(du -sk "$root" | cut -f1)"
report() {
  local elapsed_ms=$(( ($(date +%s%N) - started_ns) / 1000000 ))
  printf 'make-local-haproxy-base: %s %s (layer %d MB) in %d.%01ds\n' "$1" "$tag" "$((layer_kb / 1024))" \
    "$((elapsed_ms / 1000))" "$(( (elapsed_ms % 1000) / 100 ))"
}

fingerprint="$( {
  cat "$work/Dockerfile"
  find "$root" -type f -printf '%P %s %T@\n' | sort
} | sha256sum | cut -c1-32)"
readonly FINGERPRINT_LABEL="org.consul-sidecars.local-base.fingerprint"
if [ "$(docker image inspect --format "{{ index .Config.Labels \"$FINGERPRINT_LABEL\" }}" "$tag" 2>/dev/null || true)" = "$fingerprint" ]; then
  report "kept, up to date:"
  exit 0
fi
build_log="$work/build.log"
if ! tar -C "$work" --numeric-owner --owner=0 --group=0 -cf - Dockerfile rootfs |
  docker build --quiet --label "$FINGERPRINT_LABEL=$fingerprint" --tag "$tag" - >/dev/null 2>"$build_log"; then
  echo "make-local-haproxy-base: building $tag failed:" >&2
  grep -v -e DEPRECATED -e 'legacy builder' -e buildx -e '^ *$' "$build_log" >&2 || true
  exit 1
fi
report made
