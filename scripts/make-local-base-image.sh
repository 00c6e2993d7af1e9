#!/usr/bin/env bash
# Makes the Node base image the Dockerfiles name (node:20-bookworm-slim) from this machine's own node, for CI,
# which cannot pull: `docker import` of a tarball with node, its shared libraries, npm, busybox as /bin/sh,
# a `node` user (uid 1000, as in the official image), /tmp 1777 and CA certificates.
# Never overwrites an image that already has the tag (a real pulled image stays as it is).
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/make-local-base-image.sh [--tag TAG] [--force]

Builds TAG (default node:20-bookworm-slim, or $BASE_IMAGE) with `docker import` when no image has that tag.
  --tag TAG   the tag to create
  --force     replace TAG even when it exists, but only if it is a local base made by this script
  -h, --help  this text
Needs: docker, node (20.x) and npm on PATH, busybox-static (/bin/busybox), ldd.
USAGE
}

tag="${BASE_IMAGE:-node:20-bookworm-slim}"
force=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    --tag) tag="${2:?--tag needs a value}"; shift 2 ;;
    --tag=*) tag="${1#--tag=}"; shift ;;
    --force) force=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "make-local-base-image: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

readonly LOCAL_LABEL="org.consul-sidecars.local-base"

if docker image inspect "$tag" >/dev/null 2>&1; then
  made_here="$(docker image inspect --format "{{ index .Config.Labels \"$LOCAL_LABEL\" }}" "$tag" 2>/dev/null || true)"
  if [ "$force" -eq 0 ] || [ "$made_here" != "true" ]; then
    echo "make-local-base-image: $tag already exists (local base: ${made_here:-no}); kept as it is"
    exit 0
  fi
fi

node_bin="$(readlink -f "$(command -v node)")"
npm_cli="$(readlink -f "$(command -v npm)")"            # .../node_modules/npm/bin/npm-cli.js
npm_dir="$(dirname "$(dirname "$npm_cli")")"
busybox_bin="$(readlink -f "$(command -v busybox || echo /bin/busybox)")"
node_version="$("$node_bin" --version)"

case "$node_version" in
  v20.*) ;;
  *) echo "make-local-base-image: warning: this machine's node is $node_version, the tag says 20" >&2 ;;
esac
[ -f "$npm_dir/package.json" ] || { echo "make-local-base-image: cannot find npm beside $npm_cli" >&2; exit 1; }
# ldd exits 1 on a static binary and says so.
busybox_linkage="$(LC_ALL=C ldd "$busybox_bin" 2>&1 || true)"
if [[ "$busybox_linkage" != *"not a dynamic executable"* ]]; then
  echo "make-local-base-image: $busybox_bin is not static; install busybox-static" >&2
  exit 1
fi

root="$(mktemp -d "${TMPDIR:-/tmp}/cs-base-XXXXXX")"
cleanup() { rm -rf "$root"; }
trap cleanup EXIT

mkdir -p "$root"/{bin,sbin,etc/ssl/certs,usr/bin,usr/local/bin,usr/local/lib/node_modules,home/node,root,tmp,var/tmp,lib,lib64}
chmod 1777 "$root/tmp" "$root/var/tmp"

# node and the shared libraries it links (ldd prints "name => /path (addr)" or "/path (addr)").
cp "$node_bin" "$root/usr/local/bin/node"
ln -s ../local/bin/node "$root/usr/bin/node"
mapfile -t libraries < <(ldd "$node_bin" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }')
for library in "${libraries[@]}"; do
  mkdir -p "$root$(dirname "$library")"
  cp -L "$library" "$root$library"
done

# npm where the official image has it, and its two entry points.
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"

# busybox as /bin/sh and its applets; npm's "#!/usr/bin/env node" needs /usr/bin/env.
cp "$busybox_bin" "$root/bin/busybox"
"$busybox_bin" --install -s "$root/bin"
# --install -s writes absolute links to the host's busybox path; point them at /bin/busybox in the image.
for link in "$root"/bin/*; do
  [ -L "$link" ] && ln -sfn /bin/busybox "$link"
done
ln -s /bin/busybox "$root/usr/bin/env"

# Users as in the official image: root and node (1000:1000).
cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
node:x:1000:1000::/home/node:/bin/sh
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
node:x:1000:
GROUP
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
fi

tarball="$root.tar"
# Everything root-owned (whoever runs this), then /home/node appended as the node user's.
tar --numeric-owner --owner=0 --group=0 --exclude=./home/node -C "$root" -cf "$tarball" .
tar --numeric-owner --owner=1000 --group=1000 -C "$root" -rf "$tarball" ./home/node
trap 'rm -rf "$root" "$tarball"' EXIT

changes=(
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  --change "ENV NODE_VERSION=${node_version#v}"
  --change "LABEL $LOCAL_LABEL=true"
  --change "LABEL org.consul-sidecars.local-base.node=$node_version"
  --change 'CMD ["node"]'
)
docker import "${changes[@]}" --message "consul-sidecars local base from this machine's node $node_version" "$tarball" "$tag" >/dev/null
echo "make-local-base-image: made $tag (node $node_version, npm $("$node_bin" "$npm_cli" --version 2>/dev/null || echo '?'))"
