#!/bin/sh
# Entry point of the renderer image that carries nginx: starts Debian's nginx (master pid in /run/nginx.pid,
# which the renderer signals to reload and the HEALTHCHECK watches), then execs the renderer in the foreground.
# POSIX sh (no pipes here, so no pipefail): the image's /bin/sh is dash.
set -eu

# nginx refuses to start on a broken config; say so plainly instead of a bare exit status.
if ! nginx -t -q; then
  echo "renderer-nginx-entrypoint: nginx -t failed on the configuration in /etc/nginx; not starting" >&2
  exit 1
fi
nginx
exec node /app/packages/renderer/bin/renderer.js "$@"
