# consul-sidecars renderer: Consul -> nginx config (nunjucks), validated with `nginx -t`, then reloaded.
# Multi-stage, production dependencies only, built OFFLINE from a checkout where `npm ci && npm run build` has
# run: dist/ and node_modules come from the build context and `npm prune --offline` fetches nothing.
# Two targets:
#   renderer           (the default, last stage) Debian's nginx in the image beside the renderer: what users run.
#                      Its only online step is `apt-get install nginx libnginx-mod-http-lua lua-cjson` (the Lua
#                      module serves the no-reload mode), skipped when NGINX_BASE_IMAGE already has
#                      nginx: CI builds it on a local base carrying this machine's Debian nginx
#                      (scripts/make-local-tool-base.sh nginx), since it can neither pull nor apt-get in a build.
#   renderer-no-nginx  the renderer alone (no apt, builds offline; what CI builds): nginx runs elsewhere, on the
#                      host or as its own service, sharing the rendered directory and the PID namespace (see
#                      compose/README.md); validation/reload commands come from the renderer config.
# Build: scripts/build-images.sh renderer   (or: docker build -f docker/renderer.Dockerfile [--target renderer-no-nginx] .)
ARG BASE_IMAGE=node:20-bookworm-slim
# The base of the `renderer` stage: the node base itself (nginx comes from apt-get), or one that has nginx already.
ARG NGINX_BASE_IMAGE=${BASE_IMAGE}

FROM ${BASE_IMAGE} AS build
WORKDIR /app
# Shared layers first, in the same order in every daemon's Dockerfile, so the images share the build cache.
COPY package.json package-lock.json ./
COPY node_modules ./node_modules
COPY docker/keep-workspaces.js /usr/local/lib/keep-workspaces.js
COPY packages/core/package.json packages/core/
COPY packages/core/dist packages/core/dist
COPY packages/renderer/package.json packages/renderer/
COPY packages/renderer/bin packages/renderer/bin
COPY packages/renderer/dist packages/renderer/dist
RUN node /usr/local/lib/keep-workspaces.js packages/core packages/renderer \
 && npm prune --omit=dev --offline --no-audit --no-fund --ignore-scripts --cache /tmp/npm-cache \
 && rm -rf /tmp/npm-cache \
 && find packages -name '*.tsbuildinfo' -exec rm -f {} +

FROM ${BASE_IMAGE} AS renderer-no-nginx
WORKDIR /app
COPY --from=build /app /app
# /metrics and /health on loopback: 127.0.0.1:$RENDERER_OPS_PORT (the stack runs it with network_mode: host).
ENV NODE_ENV=production \
    RENDERER_OPS_PORT=9465
# Writes files into a volume nginx reads and signals nginx through its pid file: unprivileged here; the shared
# directory must be writable by uid 1000.
USER node
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "require('http').get({host:'127.0.0.1',port:process.env.RENDERER_OPS_PORT,path:'/health',timeout:4000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
# The renderer's young generation kept small, beside the --optimize-for-size its bin sets (a heap-size flag must be
# given at start; NODE_OPTIONS admits this one, not that one): watching 1,000 services x 10 instances, 100.6 MiB of
# RSS right after a change and 96.4 settled, against 107.6 / 101.7 without it. The benches read it from here
# (bench/image-runtime.ts), so they measure the renderer as it ships.
ENV NODE_OPTIONS=--max-semi-space-size=1
# glibc malloc arenas: 2 instead of 8 per core (libuv's threads each took one): at 1,000 services x 10 instances,
# 110.9 / 103.9 MiB of RSS right after a change / settled -> 88.1-95.3 / 83.1-90.7 (scale bench, same run of code).
ENV MALLOC_ARENA_MAX=2
ENTRYPOINT ["node", "/app/packages/renderer/bin/renderer.js"]

FROM ${NGINX_BASE_IMAGE} AS renderer
# Debian's nginx (the package users get on a node); the default site is removed, the renderer owns conf.d.
RUN if command -v nginx >/dev/null 2>&1; then nginx -v; else \
      apt-get update \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx libnginx-mod-http-lua lua-cjson \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
 && rm -f /etc/nginx/sites-enabled/default
WORKDIR /app
COPY --from=build /app /app
# The shipped templates (nginx-sites.conf.njk, nginx-dynamic.conf.njk, keepalived-lvs.conf.njk), for renderer.json to
# name, and the Lua the no-reload mode loads into nginx (lua_package_path "/app/packages/renderer/lua/?.lua").
COPY packages/renderer/templates /app/packages/renderer/templates
COPY packages/renderer/lua /app/packages/renderer/lua
COPY docker/renderer-nginx-entrypoint.sh /usr/local/bin/renderer-nginx-entrypoint.sh
ENV NODE_ENV=production \
    RENDERER_OPS_PORT=9465
# Runs as root: the nginx master binds the service ports (80/443) and the renderer must signal it to reload;
# nginx workers drop to www-data as Debian configures them. Healthy = the renderer answers /health AND the
# nginx master in /run/nginx.pid is alive.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "try{process.kill(Number(require('fs').readFileSync('/run/nginx.pid','utf8')),0)}catch(e){process.exit(1)}require('http').get({host:'127.0.0.1',port:process.env.RENDERER_OPS_PORT,path:'/health',timeout:4000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
ENV NODE_OPTIONS=--max-semi-space-size=1
ENV MALLOC_ARENA_MAX=2
ENTRYPOINT ["/usr/local/bin/renderer-nginx-entrypoint.sh"]
