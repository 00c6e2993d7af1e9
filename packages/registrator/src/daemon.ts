// Wires a RegistratorConfig into running parts: Docker source, Consul adapter, role watcher, reconciler, ops server.

import type { Logger } from 'pino';
import { ConsulHttpClient, consulSettingsFromEnv, createMetricsRegistry, dockerConnectionFromEnv, errorMessage, retry, startOpsServer, type OpsServer } from '@consul-sidecars/core';
import { ConsulAgentRegistry } from './act/consul-agent-registry';
import type { RegistryAdapter } from './act/registry-adapter';
import { applyRoleKeyAction, readRoles } from './act/role-store';
import { createRegistratorMetrics } from './metrics';
import { DockerSource, type ContainerSource } from './observe/docker-source';
import { detectHostIp } from './observe/host-ip';
import { roleQuery, watchRoles } from './observe/role-watch';
import { consulAddress, type RegistryAddress, type RegistratorConfig } from './options';
import type { RoleKeyAction } from './plan/role-keys';
import type { DefinitionOptions } from './plan/service-definitions';
import { Reconciler, DEFAULT_RECONCILER_TIMINGS, type ReconcilerOptions, type SyncResult } from './reconciler';

export interface RegistratorDeps {
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Substitutes for tests and benchmarks. */
  source?: ContainerSource;
  registry?: RegistryAdapter;
  /** Overrides of the reconciler's timings (tests shorten the agent poll). */
  timings?: Partial<Pick<ReconcilerOptions, 'agentPollMs' | 'agentWait' | 'inspectConcurrency'>>;
}

export interface RunningRegistrator {
  reconciler: Reconciler;
  source: ContainerSource;
  registry: RegistryAdapter;
  consul: ConsulHttpClient;
  ops?: OpsServer;
  stop(options?: { deregister?: boolean }): Promise<void>;
}

/** The options of the pure service definitions, from the config and the detected host address. */
export async function definitionOptions(config: RegistratorConfig): Promise<DefinitionOptions> {
  const hostIp = config.ip ?? (await detectHostIp(config.hostname));
  return {
    hostname: config.hostname,
    hostIp,
    forcedIp: config.ip,
    internal: config.internal,
    explicit: config.explicit,
    useIpFromLabel: config.useIpFromLabel,
    tags: config.tags,
    ttlSeconds: config.ttl,
    healthTtl: `${config.ttl > 0 ? config.ttl : config.healthTtl}s`,
    deregister: config.deregister,
    labelFilter: config.labelFilter,
  };
}

/** The one Consul client of a registrator or a role command: the registry URI's address (else CONSUL_HTTP_ADDR), token and TLS from the env. */
export function consulClientFor(address: RegistryAddress | undefined, env: NodeJS.ProcessEnv): ConsulHttpClient {
  return new ConsulHttpClient(consulSettingsFromEnv(env, address ? consulAddress(address) : undefined));
}

/** DOCKER_HOST and friends; unset: /tmp/docker.sock if present (gliderlabs' default), else /var/run/docker.sock. */
function dockerSourceFor(env: NodeJS.ProcessEnv, logger: Logger): DockerSource {
  return new DockerSource({ connection: dockerConnectionFromEnv(env, { defaultSockets: ['/tmp/docker.sock', '/var/run/docker.sock'] }), logger });
}

/** Pings the agent as gliderlabs does at startup (-retry-attempts / -retry-interval); -1 skips it (the loops retry anyway). */
export async function waitForConsul(registry: RegistryAdapter, config: RegistratorConfig, logger: Logger): Promise<void> {
  if (config.retryAttempts < 0) return;
  await retry(() => registry.ping(), {
    attempts: config.retryAttempts + 1,
    baseMs: config.retryIntervalMs,
    maxMs: config.retryIntervalMs,
    jitter: 0,
    onRetry: (err, attempt) => logger.warn({ err: errorMessage(err), attempt }, 'consul not reachable yet; retrying'),
  });
}

export function reconcilerOptions(config: RegistratorConfig, definition: DefinitionOptions, logger: Logger, deps: Pick<ReconcilerOptions, 'metrics' | 'roles'>, timings: RegistratorDeps['timings'] = {}): ReconcilerOptions {
  // TTL checks registrator feeds: -ttl's heartbeat every -ttl-refresh, Docker health re-posted every third of its TTL.
  const ttlRefreshMs = config.ttl > 0 ? config.ttlRefresh * 1000 : Math.floor((config.healthTtl * 1000) / 3);
  return {
    ...DEFAULT_RECONCILER_TIMINGS,
    ...timings,
    definition,
    adoptLegacy: config.cleanup,
    dryRun: config.dryRun,
    resyncMs: config.resync * 1000,
    ttlRefreshMs,
    logger,
    ...deps,
  };
}

/** Starts the long-running daemon (the caller installs signal handling). */
export async function startRegistrator(config: RegistratorConfig, deps: RegistratorDeps): Promise<RunningRegistrator> {
  const env = deps.env ?? process.env;
  const logger = deps.logger;
  const consul = consulClientFor(config.registry, env);
  const registry = deps.registry ?? new ConsulAgentRegistry(consul);
  const source = deps.source ?? dockerSourceFor(env, logger);
  const metricsRegistry = createMetricsRegistry('registrator');
  const metrics = createRegistratorMetrics(metricsRegistry);
  await waitForConsul(registry, config, logger);
  const definition = await definitionOptions(config);
  logger.info({ registry: config.registryUri, hostname: definition.hostname, hostIp: definition.hostIp, internal: definition.internal, deregister: definition.deregister, dryRun: config.dryRun }, 'registrator starting');
  const roles = config.roles
    ? { watcher: watchRoles(consul, config.rolePrefix, logger), read: () => readRoles(consul, config.rolePrefix), write: (a: RoleKeyAction) => applyRoleKeyAction(consul, config.rolePrefix, a) }
    : undefined;
  const reconciler = new Reconciler(source, registry, reconcilerOptions(config, definition, logger, { metrics, roles }, deps.timings));
  let ops: OpsServer | undefined;
  if (config.opsPort !== undefined) {
    ops = await startOpsServer({
      registry: metricsRegistry,
      port: config.opsPort,
      health: () => {
        const h = reconciler.health();
        metrics.dockerConnected.set(h.dockerConnected ? 1 : 0);
        return h;
      },
    });
    logger.info({ url: ops.url }, 'serving /metrics and /health');
  }
  reconciler.start();
  return {
    reconciler,
    source,
    registry,
    consul,
    ops,
    async stop(options = {}) {
      await reconciler.stop({ deregister: options.deregister ?? config.deregisterOnExit });
      await ops?.close();
      consul.close();
    },
  };
}

/** --once: one full reconcile, then stop; resolves with its result. */
export async function reconcileOnce(config: RegistratorConfig, deps: RegistratorDeps): Promise<SyncResult> {
  const env = deps.env ?? process.env;
  const consul = consulClientFor(config.registry, env);
  const registry = deps.registry ?? new ConsulAgentRegistry(consul);
  const source = deps.source ?? dockerSourceFor(env, deps.logger);
  try {
    await waitForConsul(registry, config, deps.logger);
    const definition = await definitionOptions(config);
    const reconciler = new Reconciler(source, registry, reconcilerOptions(config, definition, deps.logger, {}, deps.timings));
    if (config.roles) {
      const { data } = await roleQuery(consul, config.rolePrefix)({ timeoutMs: 10_000, signal: AbortSignal.timeout(10_000) });
      await reconciler.applyRoles(data);
    }
    return await reconciler.fullSync();
  } finally {
    consul.close();
  }
}
