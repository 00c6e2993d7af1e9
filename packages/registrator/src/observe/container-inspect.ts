// The part of `docker inspect` registrator reads, parsed once at the edge into a plain typed value.

import { registratorError } from '../errors';

export interface PortBinding {
  hostIp: string;
  hostPort: string;
}

export interface ContainerNetwork {
  ipAddress: string;
  globalIPv6Address: string;
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerInspect {
  /** Full 64-hex container id. */
  id: string;
  /** Without the leading slash. */
  name: string;
  /** Config.Image as the user wrote it (e.g. "gliderlabs/foo:1"). */
  image: string;
  status: ContainerStatus;
  exitCode: number;
  /** State.Health.Status when the image or run declares a HEALTHCHECK. */
  health?: string;
  /** True when Config.Healthcheck declares a test other than NONE. */
  hasHealthcheck: boolean;
  env: string[];
  labels: Record<string, string>;
  /** Config.ExposedPorts keys, e.g. "80/tcp". */
  exposedPorts: string[];
  /** NetworkSettings.Ports: port -> bindings (empty when exposed but not published). */
  ports: Record<string, PortBinding[]>;
  /** HostConfig.NetworkMode: bridge, default, host, none, container:<id> or a network name. */
  networkMode: string;
  /** NetworkSettings.IPAddress (the default bridge's address). */
  ipAddress: string;
  globalIPv6Address: string;
  networks: Record<string, ContainerNetwork>;
  /** For NetworkMode container:<id>: that container's networking, resolved by the docker source. */
  networkContainer?: { ipAddress: string; networks: Record<string, ContainerNetwork> };
}

type Json = Record<string, unknown>;

function obj(value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

const STATUSES = new Set<ContainerStatus>(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead']);

function parseNetworks(raw: unknown): Record<string, ContainerNetwork> {
  const networks: Record<string, ContainerNetwork> = {};
  for (const [name, value] of Object.entries(obj(raw))) {
    const n = obj(value);
    networks[name] = { ipAddress: str(n.IPAddress), globalIPv6Address: str(n.GlobalIPv6Address) };
  }
  return networks;
}

/** Parses the Engine API's ContainerInspect answer; throws ERR_DOCKER_PAYLOAD when it is not one. */
export function parseContainerInspect(raw: unknown): ContainerInspect {
  const root = obj(raw);
  const id = str(root.Id);
  if (!/^[0-9a-f]{12,64}$/.test(id)) throw registratorError('ERR_DOCKER_PAYLOAD', `container inspect without a valid Id (${JSON.stringify(root.Id)})`);
  const config = obj(root.Config);
  const state = obj(root.State);
  const hostConfig = obj(root.HostConfig);
  const settings = obj(root.NetworkSettings);
  const rawStatus = str(state.Status) as ContainerStatus;
  const status: ContainerStatus = STATUSES.has(rawStatus) ? rawStatus : state.Running === true ? 'running' : 'exited';
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(config.Labels))) if (typeof v === 'string') labels[k] = v;
  const ports: Record<string, PortBinding[]> = {};
  for (const [port, bindings] of Object.entries(obj(settings.Ports))) {
    ports[port] = Array.isArray(bindings) ? bindings.map((b) => ({ hostIp: str(obj(b).HostIp), hostPort: str(obj(b).HostPort) })) : [];
  }
  const test = obj(config.Healthcheck).Test;
  const hasHealthcheck = Array.isArray(test) && test.length > 0 && test[0] !== 'NONE';
  const health = str(obj(state.Health).Status) || undefined;
  return {
    id,
    name: str(root.Name).replace(/^\//, ''),
    image: str(config.Image),
    status,
    exitCode: typeof state.ExitCode === 'number' ? state.ExitCode : 0,
    health,
    hasHealthcheck: hasHealthcheck || health !== undefined,
    env: Array.isArray(config.Env) ? config.Env.filter((e): e is string => typeof e === 'string') : [],
    labels,
    exposedPorts: Object.keys(obj(config.ExposedPorts)),
    ports,
    networkMode: str(hostConfig.NetworkMode) || 'default',
    ipAddress: str(settings.IPAddress),
    globalIPv6Address: str(settings.GlobalIPv6Address),
    networks: parseNetworks(settings.Networks),
  };
}
