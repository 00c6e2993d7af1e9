#!/usr/bin/env bash
# Makes a second local base image for CI, which cannot pull or apt-get inside a build: the local node base
# (make-local-base-image.sh) plus one layer with a tool copied from this machine's Debian packages, so that the
# renderer image carries a real nginx and the healer image a real docker-compose, as the apt-get variants do.
#   nginx:   /usr/sbin/nginx (nginx-extras here; the same Debian 1.22 build users get from `nginx`), the libraries
#            ldd finds, nginx-common's /etc/nginx without the default site, the Lua module and lua-cjson enabled (as
#            `apt-get install nginx libnginx-mod-http-lua lua-cjson` leaves them: the renderer's no-reload mode),
#            the log/temp/pid directories and the www-data user.
#   compose: /usr/bin/docker-compose (Debian's 1.29, Python), python3.11 with its standard library (no tests, no
#            build config), the python3-* packages docker-compose depends on (from dpkg, with their byte-code)
#            and the libraries ldd finds for the interpreter and every extension module.
# Libraries the node base already has (node's, from the same machine) are not copied twice. The layer is staged
# on every run and rebuilt only when its fingerprint (base image id, Dockerfile, each file's path, size and mtime)
# differs from the tagged image's, so it follows this machine's packages and an unchanged one costs ~1 s.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/make-local-tool-base.sh [--base IMAGE] [--tag TAG] nginx|compose

Builds TAG (default consul-sidecars/local-base:<tool>) FROM IMAGE (default $BASE_IMAGE or node:20-bookworm-slim,
which must be a local base made by make-local-base-image.sh) with the tool added. Prints the tag and seconds.
  --base IMAGE  the local node base to build on
  --tag TAG     the tag to create
  -h, --help    this text
Needs: docker, dpkg-query, ldd; for nginx: nginx (nginx-extras or nginx) and nginx-common installed; for compose:
docker-compose (Debian's) installed.
USAGE
}

base="${BASE_IMAGE:-node:20-bookworm-slim}"
tag=""
tool=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    --base) base="${2:?--base needs a value}"; shift 2 ;;
    --tag) tag="${2:?--tag needs a value}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    nginx|compose) tool="$1"; shift ;;
    *) echo "make-local-tool-base: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
[ -n "$tool" ] || { echo "make-local-tool-base: name the tool: nginx or compose" >&2; usage >&2; exit 2; }
tag="${tag:-consul-sidecars/local-base:$tool}"

readonly LOCAL_LABEL="org.consul-sidecars.local-base"
made_here="$(docker image inspect --format "{{ index .Config.Labels \"$LOCAL_LABEL\" }}" "$base" 2>/dev/null || true)"
if [ "$made_here" != "true" ]; then
  echo "make-local-tool-base: $base is not a local base made by make-local-base-image.sh; build on it with apt-get instead" >&2
  exit 1
fi

started_ns="$(date +%s%N)"
work="$(mktemp -d "${TMPDIR:-/tmp}/cs-tool-base-XXXXXX")"
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root"

# Libraries the node base already carries: node's, as make-local-base-image.sh copied them.
declare -A in_base=()
node_bin="$(readlink -f "$(command -v node)")"
while IFS= read -r library; do in_base["$library"]=1; done < <(ldd "$node_bin" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }')

# copy_paths: the paths on stdin (one a line) into the rootfs at the same place, symlinks kept as symlinks; one tar
# pass, as there are thousands of them for compose.
copy_paths() {
  sed 's|^/||' | tar -C / --no-recursion --verbatim-files-from -T - -cf - | tar -C "$root" -xf -
}

# copy_libraries_of FILE...: the shared libraries ldd resolves for these ELF files, dereferenced, unless in the base.
copy_libraries_of() {
  local file library
  for file in "$@"; do
    while IFS= read -r library; do
      [ -z "${in_base[$library]:-}" ] || continue
      [ -e "$root$library" ] && continue
      mkdir -p "$root$(dirname "$library")"
      cp -L --preserve=mode,timestamps "$library" "$root$library"
    done < <(ldd "$file" 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }')
  done
}

# package_files PACKAGE...: the regular files and symlinks dpkg lists for these packages (directories left out).
package_files() {
  local path
  dpkg-query -L "$@" | while IFS= read -r path; do
    if [ -L "$path" ] || [ -f "$path" ]; then printf '%s\n' "$path"; fi
  done
}

require_installed() {
  local package
  for package in "$@"; do
    dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qx installed ||
      { echo "make-local-tool-base: $package is not installed (apt-get install $package)" >&2; exit 1; }
  done
}

# The installed packages docker-compose needs, transitively, limited to the Python ones (the C libraries come
# from ldd instead, so dpkg, tar, libc and friends are not dragged in). One dpkg-query for the whole database.
python_closure() {
  local -A depends_of=() seen=()
  local package status depends group alternative name queue=("$@")
  while IFS=$'\t' read -r package status depends; do
    [ "$status" = installed ] && depends_of["$package"]="$depends"
  done < <(dpkg-query -W -f='${Package}\t${db:Status-Status}\t${Depends},${Pre-Depends}\n')
  while [ "${#queue[@]}" -gt 0 ]; do
    package="${queue[0]%%:*}"
    queue=("${queue[@]:1}")
    [ -z "${seen[$package]:-}" ] || continue
    seen["$package"]=1
    IFS=',' read -ra groups <<<"${depends_of[$package]:-}"
    for group in "${groups[@]}"; do
      IFS='|' read -ra alternatives <<<"$group"
      for alternative in "${alternatives[@]}"; do
        read -r name _ <<<"$alternative" || true
        name="${name%%:*}"
        if [ -z "$name" ] || [ -z "${depends_of[$name]+set}" ]; then continue; fi
        case "$name" in python3*|libpython3*|docker-compose) queue+=("$name") ;; esac
        break
      done
    done
  done
  printf '%s\n' "${!seen[@]}" | sort
}

setup_commands=()
case "$tool" in
  nginx)
    nginx_bin="$(readlink -f "$(command -v nginx || echo /usr/sbin/nginx)")"
    [ -x "$nginx_bin" ] || { echo "make-local-tool-base: nginx is not installed (apt-get install nginx-extras)" >&2; exit 1; }
    require_installed nginx-common
    mkdir -p "$root/usr/sbin"
    cp --preserve=mode,timestamps "$nginx_bin" "$root/usr/sbin/nginx"
    copy_libraries_of "$nginx_bin"
    mapfile -t conf_files < <(package_files nginx-common | grep '^/etc/nginx/' | grep -v -e '^/etc/nginx/sites-enabled/' -e '^/etc/nginx/modules-enabled/')
    printf '%s\n' "${conf_files[@]}" | copy_paths
    mkdir -p "$root"/etc/nginx/{conf.d,modules-enabled,sites-enabled} "$root"/var/{log/nginx,lib/nginx,www} "$root/run/lock" "$root/usr/lib/nginx/modules"
    ln -s ../run/lock "$root/var/lock"
    # The renderer's no-reload mode: the Lua module (+ the devel kit it needs), lua-resty-core and lua-cjson, enabled
    # as their Debian packages enable them (apt-get install libnginx-mod-http-lua lua-cjson on the node base).
    lua_packages=(libnginx-mod-http-ndk libnginx-mod-http-lua lua-resty-core lua-resty-lrucache lua-cjson libluajit2-5.1-2 libluajit2-5.1-common)
    require_installed "${lua_packages[@]}"
    package_files "${lua_packages[@]}" | grep -v -e '^/usr/share/doc/' -e '^/usr/share/lintian/' -e '/lua/5\.[234]/' -e '/liblua5\.[234]-' | copy_paths
    copy_libraries_of /usr/lib/nginx/modules/ndk_http_module.so /usr/lib/nginx/modules/ngx_http_lua_module.so /usr/lib/x86_64-linux-gnu/lua/5.1/cjson.so
    mkdir -p "$root/usr/share/nginx"
    [ -e "$root/usr/share/nginx/modules" ] || ln -s ../../lib/nginx/modules "$root/usr/share/nginx/modules"
    ln -s /usr/share/nginx/modules-available/mod-http-ndk.conf "$root/etc/nginx/modules-enabled/10-mod-http-ndk.conf"
    ln -s /usr/share/nginx/modules-available/mod-http-lua.conf "$root/etc/nginx/modules-enabled/50-mod-http-lua.conf"
    setup_commands=("grep -q '^www-data:' /etc/passwd || echo 'www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin' >>/etc/passwd"
      "grep -q '^www-data:' /etc/group || echo 'www-data:x:33:' >>/etc/group"
      "nginx -t")
    ;;
  compose)
    require_installed docker-compose
    mapfile -t packages < <(python_closure docker-compose)
    # Package files, minus documentation, tests, the static build config (25 MB) and what a daemon never imports.
    mapfile -t files < <(package_files "${packages[@]}" | grep -v \
      -e '^/usr/share/' -e '/config-3\.[0-9]*-' -e '^/usr/lib/python3\.[0-9]*/test/' -e '/idlelib/' -e '/tkinter/' \
      -e '/turtledemo/' -e '/ensurepip/' -e '/pydoc_data/' -e '/lib2to3/tests/' -e '/__pycache__/' \
      -e '/lib-dynload/\(_curses\|readline\|_dbm\|_gdbm\|_sqlite3\|nis\|_tkinter\|_ctypes_test\|_test\|xxlimited\)')
    # With the byte-code Debian compiled at install time (not in dpkg's lists), so compose starts without compiling.
    for file in "${files[@]}"; do
      printf '%s\n' "$file"
      if [[ "$file" == *.py ]]; then
        name="${file##*/}"
        for compiled in "${file%/*}/__pycache__/${name%.py}".cpython-*.pyc; do
          [ ! -e "$compiled" ] || printf '%s\n' "$compiled"
        done
      fi
    done | copy_paths
    mapfile -t elf_files < <(find "$root" -type f \( -name '*.so' -o -name 'python3.[0-9]*' \) | sed "s|^$root||")
    copy_libraries_of "${elf_files[@]}"
    setup_commands=("docker-compose version")
    ;;
esac

# The build context: a Dockerfile and the rootfs, as one tar stream (nothing else from this machine is sent).
run_line="${setup_commands[0]}"
for command in "${setup_commands[@]:1}"; do run_line+=" && $command"; done
cat >"$work/Dockerfile" <<DOCKERFILE
ARG BASE_IMAGE
FROM \${BASE_IMAGE}
COPY rootfs/ /
RUN $run_line
LABEL $LOCAL_LABEL.tool=$tool
DOCKERFILE
layer_kb="$(du -sk "$root" | cut -f1)"
report() {
  local elapsed_ms=$(( ($(date +%s%N) - started_ns) / 1000000 ))
  printf 'make-local-tool-base: %s %s (%s on %s, layer %d MB) in %d.%01ds\n' "$1" "$tag" "$tool" "$base" "$((layer_kb / 1024))" \
    "$((elapsed_ms / 1000))" "$(( (elapsed_ms % 1000) / 100 ))"
}

# Same files (path, size, mtime, link target: all kept from this machine) and Dockerfile on the same base as the
# image already tagged: keep it, as sending 50 MB to the builder costs seconds even when every layer is cached.
fingerprint="$( {
  docker image inspect --format '{{.Id}}' "$base"
  cat "$work/Dockerfile"
  find "$root" -type f -printf '%P %s %T@\n' | sort
  find "$root" -type l -printf '%P -> %l\n' | sort
} | sha256sum | cut -c1-32)"
readonly FINGERPRINT_LABEL="$LOCAL_LABEL.fingerprint"
if [ "$(docker image inspect --format "{{ index .Config.Labels \"$FINGERPRINT_LABEL\" }}" "$tag" 2>/dev/null || true)" = "$fingerprint" ]; then
  report "kept, up to date:"
  exit 0
fi
build_log="$work/build.log"
if ! tar -C "$work" --numeric-owner --owner=0 --group=0 -cf - Dockerfile rootfs |
  docker build --quiet --build-arg "BASE_IMAGE=$base" --label "$FINGERPRINT_LABEL=$fingerprint" --tag "$tag" - >/dev/null 2>"$build_log"; then
  echo "make-local-tool-base: building $tag failed:" >&2
  grep -v -e DEPRECATED -e 'legacy builder' -e buildx -e '^ *$' "$build_log" >&2 || true
  exit 1
fi
report made
