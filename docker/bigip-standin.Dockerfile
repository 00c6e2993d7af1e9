# consul-sidecars bigip-standin: an iControl REST BIG-IP over HTTPS (demo, tests).
# It has no runtime dependencies: the image holds its package.json, bin/ and dist/ only. Built OFFLINE from a
# checkout where `npm ci && npm run build` has run.
# Build: scripts/build-images.sh bigip-standin   (or, from the repo root: docker build -f docker/bigip-standin.Dockerfile .)
ARG BASE_IMAGE=node:20-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /app
COPY packages/bigip-standin/package.json packages/bigip-standin/
COPY packages/bigip-standin/bin packages/bigip-standin/bin
COPY packages/bigip-standin/dist packages/bigip-standin/dist
RUN find packages -name '*.tsbuildinfo' -exec rm -f {} +

FROM ${BASE_IMAGE}
WORKDIR /app
COPY --from=build /app /app
ENV NODE_ENV=production \
    BIGIP_STANDIN_PORT=8443 \
    BIGIP_STANDIN_HOST=127.0.0.1 \
    BIGIP_USER=admin
# Where `--ca-out` can write the CA for clients to trust (a volume mounted here starts owned by the node user).
RUN mkdir -p /var/lib/bigip-standin && chown node:node /var/lib/bigip-standin
USER node
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "require('https').get({host:'127.0.0.1',port:process.env.BIGIP_STANDIN_PORT,path:'/mgmt/tm/sys/version',rejectUnauthorized:false,timeout:4000},r=>process.exit(r.statusCode<500?0:1)).on('error',()=>process.exit(1))"]
ENTRYPOINT ["sh", "-c", ": \"${BIGIP_PASSWORD:?set BIGIP_PASSWORD}\"; exec node /app/packages/bigip-standin/bin/bigip-standin.js --host \"$BIGIP_STANDIN_HOST\" --port \"$BIGIP_STANDIN_PORT\" --user \"$BIGIP_USER\" \"$@\"", "bigip-standin"]
