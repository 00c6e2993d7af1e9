# consul-sidecars registrator: Docker events -> the local Consul agent.
# Multi-stage, production dependencies only, built OFFLINE from a checkout where `npm ci && npm run build` has
# run: dist/ and node_modules come from the build context and `npm prune --offline` fetches nothing.
# Build: scripts/build-images.sh registrator   (or, from the repo root: docker build -f docker/registrator.Dockerfile .)
ARG BASE_IMAGE=node:20-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /app
# Shared layers first, in the same order in every daemon's Dockerfile, so the images share the build cache.
COPY package.json package-lock.json ./
COPY node_modules ./node_modules
COPY docker/keep-workspaces.js /usr/local/lib/keep-workspaces.js
COPY packages/core/package.json packages/core/
COPY packages/core/dist packages/core/dist
COPY packages/registrator/package.json packages/registrator/
COPY packages/registrator/bin packages/registrator/bin
COPY packages/registrator/dist packages/registrator/dist
RUN node /usr/local/lib/keep-workspaces.js packages/core packages/registrator \
 && npm prune --omit=dev --offline --no-audit --no-fund --ignore-scripts --cache /tmp/npm-cache \
 && rm -rf /tmp/npm-cache \
 && find packages -name '*.tsbuildinfo' -exec rm -f {} +

FROM ${BASE_IMAGE}
WORKDIR /app
COPY --from=build /app /app
# /metrics and /health on loopback: 127.0.0.1:$REGISTRATOR_OPS_PORT (the stack runs it with network_mode: host).
ENV NODE_ENV=production \
    REGISTRATOR_OPS_PORT=9464
# Runs as the node user (uid 1000). Reading the Docker socket needs the socket's group: the compose stack adds
# the host's docker GID with group_add ($DOCKER_GID). Socket access is root-equivalent on the host whatever the
# uid, so this is defence in depth (no root inside the container), not isolation. Where the socket's group
# cannot be added (a socket owned by a single user), run with `user: root` and say so.
USER node
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "require('http').get({host:'127.0.0.1',port:process.env.REGISTRATOR_OPS_PORT,path:'/health',timeout:4000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
# A small young generation: registrator allocates in bursts (full resyncs) at a low rate, and V8's default lets the
# semi-spaces grow by ~40 MiB of RSS at 250 containers (measured: 115.7 -> 87.0 MiB with this flag, idle 72 -> 68).
# glibc arenas: 2 instead of 8 per core (~3 MiB less at 1,000 containers); V8 tuned for size (bench: 88-98 -> 73-78 MiB).
ENV MALLOC_ARENA_MAX=2
ENTRYPOINT ["node", "--max-semi-space-size=1", "--optimize-for-size", "/app/packages/registrator/bin/registrator.js"]
