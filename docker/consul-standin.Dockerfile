# consul-sidecars consul-standin: a single-node Consul agent speaking the real HTTP API (demo, tests).
# It has no runtime dependencies: the image holds its package.json, bin/ and dist/ only. Built OFFLINE from a
# checkout where `npm ci && npm run build` has run.
# Build: scripts/build-images.sh consul-standin   (or, from the repo root: docker build -f docker/consul-standin.Dockerfile .)
ARG BASE_IMAGE=node:20-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /app
COPY packages/consul-standin/package.json packages/consul-standin/
COPY packages/consul-standin/bin packages/consul-standin/bin
COPY packages/consul-standin/dist packages/consul-standin/dist
RUN find packages -name '*.tsbuildinfo' -exec rm -f {} +

FROM ${BASE_IMAGE}
WORKDIR /app
COPY --from=build /app /app
ENV NODE_ENV=production \
    CONSUL_STANDIN_PORT=8500 \
    CONSUL_STANDIN_NODE=standin
USER node
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "require('http').get({host:'127.0.0.1',port:process.env.CONSUL_STANDIN_PORT,path:'/v1/status/leader',timeout:4000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
ENTRYPOINT ["sh", "-c", "exec node /app/packages/consul-standin/bin/consul-standin.js --port \"$CONSUL_STANDIN_PORT\" --node \"$CONSUL_STANDIN_NODE\" \"$@\"", "consul-standin"]
