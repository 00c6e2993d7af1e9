# consul-sidecars healer: keeps services at their desired healthy counts with `docker-compose up -d --scale`.
# Multi-stage, production dependencies only, built OFFLINE from a checkout where `npm ci && npm run build` has
# run: dist/ and node_modules come from the build context and `npm prune --offline` fetches nothing.
# Two targets:
#   healer             (the default, last stage) with Debian's docker-compose 1.29 (Python, ~60 MB with its
#                      dependencies). Its only online step is `apt-get install docker-compose`, skipped when
#                      COMPOSE_BASE_IMAGE already has docker-compose: CI builds it on a local base carrying this
#                      machine's Debian docker-compose (scripts/make-local-tool-base.sh compose).
#   healer-no-compose  the healer alone (no apt, builds offline). It cannot scale anything by itself: use it with
#                      --dry-run, or run the healer on the host (systemd unit or a plain process next to the host's
#                      docker-compose), which is what the demo does.
# Trade-off: compose in the image means the image pins the compose version and the compose project directories
# must be mounted at the SAME absolute paths as on the host (compose resolves relative volumes and derives the
# project name from them); on the host, the healer uses exactly the compose the operators use by hand.
# Build: scripts/build-images.sh healer   (or: docker build -f docker/healer.Dockerfile [--target healer-no-compose] .)
ARG BASE_IMAGE=node:20-bookworm-slim
# The base of the `healer` stage: the node base itself (docker-compose comes from apt-get), or one that has it.
ARG COMPOSE_BASE_IMAGE=${BASE_IMAGE}

FROM ${BASE_IMAGE} AS build
WORKDIR /app
# Shared layers first, in the same order in every daemon's Dockerfile, so the images share the build cache.
COPY package.json package-lock.json ./
COPY node_modules ./node_modules
COPY docker/keep-workspaces.js /usr/local/lib/keep-workspaces.js
COPY packages/core/package.json packages/core/
COPY packages/core/dist packages/core/dist
COPY packages/healer/package.json packages/healer/
COPY packages/healer/bin packages/healer/bin
COPY packages/healer/dist packages/healer/dist
RUN node /usr/local/lib/keep-workspaces.js packages/core packages/healer \
 && npm prune --omit=dev --offline --no-audit --no-fund --ignore-scripts --cache /tmp/npm-cache \
 && rm -rf /tmp/npm-cache \
 && find packages -name '*.tsbuildinfo' -exec rm -f {} +

FROM ${BASE_IMAGE} AS healer-no-compose
WORKDIR /app
COPY --from=build /app /app
# /metrics and /health on loopback: 127.0.0.1:$HEALER_OPS_PORT (the stack runs it with network_mode: host).
ENV NODE_ENV=production \
    HEALER_OPS_PORT=9766
USER node
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "require('http').get({host:'127.0.0.1',port:process.env.HEALER_OPS_PORT,path:'/health',timeout:4000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
# glibc malloc arenas: 2 instead of 8 per core, as registrator and the renderer (the bench reads it from here).
ENV MALLOC_ARENA_MAX=2
ENTRYPOINT ["node", "/app/packages/healer/bin/healer.js"]

FROM ${COMPOSE_BASE_IMAGE} AS healer
USER root
RUN if command -v docker-compose >/dev/null 2>&1; then docker-compose version --short; else \
      apt-get update \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker-compose \
      && rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /app
COPY --from=build /app /app
ENV NODE_ENV=production \
    HEALER_OPS_PORT=9766
# As registrator: the node user plus the host's docker GID (group_add) to reach the Docker socket.
USER node
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "require('http').get({host:'127.0.0.1',port:process.env.HEALER_OPS_PORT,path:'/health',timeout:4000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
# glibc malloc arenas: 2 instead of 8 per core, as registrator and the renderer (the bench reads it from here).
ENV MALLOC_ARENA_MAX=2
ENTRYPOINT ["node", "/app/packages/healer/bin/healer.js"]
