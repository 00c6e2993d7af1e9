# consul-sidecars f5-sync: Consul health -> F5 BIG-IP LTM pools over iControl REST.
# Multi-stage, production dependencies only, built OFFLINE from a checkout where `npm ci && npm run build` has
# run: dist/ and node_modules come from the build context and `npm prune --offline` fetches nothing.
# Build: scripts/build-images.sh f5-sync   (or, from the repo root: docker build -f docker/f5-sync.Dockerfile .)
ARG BASE_IMAGE=node:20-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /app
# Shared layers first, in the same order in every daemon's Dockerfile, so the images share the build cache.
COPY package.json package-lock.json ./
COPY node_modules ./node_modules
COPY docker/keep-workspaces.js /usr/local/lib/keep-workspaces.js
COPY packages/core/package.json packages/core/
COPY packages/core/dist packages/core/dist
COPY packages/f5-sync/package.json packages/f5-sync/
COPY packages/f5-sync/bin packages/f5-sync/bin
COPY packages/f5-sync/dist packages/f5-sync/dist
RUN node /usr/local/lib/keep-workspaces.js packages/core packages/f5-sync \
 && npm prune --omit=dev --offline --no-audit --no-fund --ignore-scripts --cache /tmp/npm-cache \
 && rm -rf /tmp/npm-cache \
 && find packages -name '*.tsbuildinfo' -exec rm -f {} +

FROM ${BASE_IMAGE}
WORKDIR /app
COPY --from=build /app /app
# /metrics and /health on loopback: 127.0.0.1:$F5_SYNC_OPS_PORT (the stack runs it with network_mode: host).
ENV NODE_ENV=production \
    F5_SYNC_OPS_PORT=9467
# Only talks HTTP(S) to Consul and the BIG-IP: unprivileged. The BIG-IP password comes from $BIGIP_PASSWORD
# (compose passes it from the environment or an env file, never from the compose file).
USER node
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "require('http').get({host:'127.0.0.1',port:process.env.F5_SYNC_OPS_PORT,path:'/health',timeout:4000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
# glibc malloc arenas: 2 instead of 8 per core, as registrator and the renderer (the benches read it from here).
ENV MALLOC_ARENA_MAX=2
ENTRYPOINT ["node", "/app/packages/f5-sync/bin/f5-sync.js"]
