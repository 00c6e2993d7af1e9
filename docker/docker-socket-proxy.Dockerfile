# consul-sidecars docker-socket-proxy: Debian's haproxy with compose/docker-socket-proxy/haproxy.cfg, a read-only
# view of the Docker API for registrator (GET of ping, version, container list/inspect and the event stream; any
# other request, every write included, gets 403 before it reaches the engine).
# The only online step is `apt-get install haproxy`, skipped when HAPROXY_BASE_IMAGE already has haproxy: CI builds
# it on a local base carrying this machine's Debian haproxy (docker/make-local-haproxy-base.sh), since it can
# neither pull nor apt-get in a build.
# Build (from the repo root): docker build -f docker/docker-socket-proxy.Dockerfile -t consul-sidecars/docker-socket-proxy:dev .
ARG HAPROXY_BASE_IMAGE=debian:bookworm-slim

FROM ${HAPROXY_BASE_IMAGE}
# /run/docker-ro: where the filtered socket is made; the compose stack shares it with registrator as a named
# volume, which Docker fills from this image on first use (so it is owned by the proxy's user, uid 1000).
RUN if command -v haproxy >/dev/null 2>&1; then haproxy -v; else \
      apt-get update \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends haproxy \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
 && mkdir -p /run/docker-ro \
 && chown 1000:1000 /run/docker-ro \
 && chmod 0755 /run/docker-ro
COPY compose/docker-socket-proxy/haproxy.cfg /etc/consul-sidecars/docker-socket-proxy.cfg
ENV DOCKER_SOCKET=/var/run/docker.sock \
    PROXY_SOCKET=/run/docker-ro/docker.sock
# Unprivileged: the engine's socket is reached through its group (compose: group_add $DOCKER_GID).
USER 1000:1000
# Refuses a broken config at build time rather than at the first start.
RUN haproxy -c -q -f /etc/consul-sidecars/docker-socket-proxy.cfg
HEALTHCHECK --interval=15s --timeout=5s --start-period=5s --retries=3 CMD test -S "$PROXY_SOCKET"
# -db: in the foreground, logs on stdout (docker logs); -W: master-worker, so SIGUSR2 reloads the config.
ENTRYPOINT ["haproxy", "-W", "-db", "-f", "/etc/consul-sidecars/docker-socket-proxy.cfg"]
