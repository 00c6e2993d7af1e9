// Pure: one container's inspect -> the Consul services it should have (names, IDs, addresses, tags, Meta, checks).

import path from 'node:path';
import { describeSource, isIgnored, isUnclearIgnore, metadataWarnings, parseTags, serviceMetadata, type ServiceMetadata } from './container-metadata';
import type { ContainerInspect, ContainerNetwork, PortBinding } from '../observe/container-inspect';
import { roleBelongsTo, type RoleBinding } from '../role-keys';
import { META_CONTAINER, META_NODE, META_SPEC, registrationSpecHash, type ServiceRegistration, type TtlStatus } from './registration';
import { buildChecks } from './service-checks';
import { serviceMeta } from './service-meta';

export type DeregisterMode = 'always' | 'on-success' | 'never';

export interface DefinitionOptions {
  /** Registrator's host name: the first part of every service ID, and the ownership marker. */
  hostname: string;
  /** Address for services published on 0.0.0.0 / :: (the detected host IP, or -ip). */
  hostIp: string;
  /** -ip: forces the host address even over a specific binding IP. */
  forcedIp?: string;
  internal: boolean;
  explicit: boolean;
  /** -useIpFromLabel */
  useIpFromLabel?: string;
  /** -tags, already split. */
  tags: string[];
  /** -ttl in seconds (0: none). */
  ttlSeconds: number;
  /** TTL of the Docker-health check. */
  healthTtl: string;
  deregister: DeregisterMode;
  /** -label-filter: containers without this label define no services. */
  labelFilter?: { key: string; value?: string };
}

/** Whether a container's labels pass -label-filter. */
export function matchesLabelFilter(labels: Readonly<Record<string, string>>, filter: DefinitionOptions['labelFilter']): boolean {
  if (!filter) return true;
  if (!(filter.key in labels)) return false;
  return filter.value === undefined || labels[filter.key] === filter.value;
}

/** What should happen to a container's services: registered as defined, left as they are, or removed. */
export type Disposition = 'register' | 'keep' | 'remove';

export interface DesiredService {
  containerId: string;
  registration: ServiceRegistration;
  ttlStatuses: TtlStatus[];
}

export interface DefinitionWarning {
  container: string;
  containerId: string;
  /** `label SERVICE_abc_NAME`, `env SERVICE_CHECK_INTERVAL`, or a flag. */
  source: string;
  message: string;
  /** 'error': something the labels ask for is not registered (logged as an error, not a warning). */
  severity?: 'error';
}

export interface ContainerDefinition {
  containerId: string;
  containerName: string;
  disposition: Disposition;
  services: DesiredService[];
  warnings: DefinitionWarning[];
}

const ROLE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A valid role tag, or undefined. */
export function isValidRole(role: string): boolean {
  return ROLE.test(role);
}

/** The label Docker swarm mode puts on every task container: the swarm service it belongs to. */
export const SWARM_SERVICE_LABEL = 'com.docker.swarm.service.name';

/**
 * The name a service gets without SERVICE_NAME: a swarm task's service name (image names say nothing about which
 * swarm service a task serves, and two services often run one image), else gliderlabs' base(image).
 */
export function implicitServiceName(c: Pick<ContainerInspect, 'image' | 'labels'>): string {
  return c.labels[SWARM_SERVICE_LABEL] || defaultServiceName(c.image);
}

/** gliderlabs: base(image) without the tag; we also drop a digest ("foo@sha256:..." gave "foo@sha256"). */
export function defaultServiceName(image: string): string {
  const base = path.posix.basename(image.split('@')[0]);
  return base.split(':')[0];
}

/** Whether a container's services exist: running -> register; stopped -> by -deregister mode; paused -> removed unless never. */
export function containerDisposition(c: Pick<ContainerInspect, 'status' | 'exitCode'>, mode: DeregisterMode): Disposition {
  if (c.status === 'running') return 'register';
  if (mode === 'never') return 'keep';
  if (c.status === 'paused') return 'remove';
  if (mode === 'on-success') {
    // gliderlabs RemoveOnExit: deregister on exit 0 or a signal (bit 128); keep failed ones for checks to flag.
    const failed = c.exitCode !== 0 && (c.exitCode & 128) === 0;
    return failed ? 'keep' : 'remove';
  }
  return 'remove';
}

/**
 * A container a full reconcile listed but did not inspect (stopped and owning nothing, or outside -label-filter): it
 * defines no services; its disposition comes from its listed state (no exit code: never "keep" under on-success).
 */
export function uninspectedDefinition(summary: { id: string; name: string; status: ContainerInspect['status'] }, mode: DeregisterMode): ContainerDefinition {
  const disposition = containerDisposition({ status: summary.status, exitCode: 0 }, mode);
  return { containerId: summary.id, containerName: summary.name, disposition: disposition === 'register' ? 'remove' : disposition, services: [], warnings: [] };
}

function isUnspecified(ip: string): boolean {
  return ip === '' || ip === '0.0.0.0' || ip === '::';
}

/** Exposed port key "80/tcp" -> ["80", "tcp"]. */
function splitPort(key: string): [string, string] {
  const [port, proto] = key.split('/');
  return [port, proto || 'tcp'];
}

/** The network whose address is "the container IP": a SERVICE_NETWORK label, the NetworkMode network, bridge, then by name. */
export function chooseNetworkAddress(
  c: { networkMode: string; ipAddress: string; globalIPv6Address: string; networks: Record<string, ContainerNetwork> },
  wanted?: string,
): { address: string; network?: string; problem?: string } {
  const addressOf = (n: ContainerNetwork) => n.ipAddress || n.globalIPv6Address;
  let problem: string | undefined;
  if (wanted) {
    const n = c.networks[wanted];
    if (n && addressOf(n)) return { address: addressOf(n), network: wanted };
    problem = `network "${wanted}" is not attached or has no address`;
  }
  const mode = c.networkMode;
  if (c.networks[mode] && addressOf(c.networks[mode])) return { address: addressOf(c.networks[mode]), network: mode, problem };
  if (c.ipAddress || c.globalIPv6Address) return { address: c.ipAddress || c.globalIPv6Address, network: 'bridge', problem };
  for (const name of Object.keys(c.networks).sort()) {
    if (addressOf(c.networks[name])) return { address: addressOf(c.networks[name]), network: name, problem };
  }
  return { address: '', problem };
}

interface ServicePort {
  key: string;
  exposedPort: string;
  proto: string;
  binding?: PortBinding;
}

/** gliderlabs Bridge.add: exposed ports get a fake {0.0.0.0, same port} binding (host networking), overwritten by real ones. */
function servicePorts(c: ContainerInspect, internal: boolean): ServicePort[] {
  const bindings = new Map<string, PortBinding[]>();
  for (const key of c.exposedPorts) bindings.set(key, [{ hostIp: '0.0.0.0', hostPort: splitPort(key)[0] }]);
  for (const [key, list] of Object.entries(c.ports)) bindings.set(key, list);
  const ports: ServicePort[] = [];
  for (const [key, list] of bindings) {
    const [exposedPort, proto] = splitPort(key);
    // Several bindings (0.0.0.0 and ::, or two IPs): prefer one with a specific address, else the first.
    const binding = list.find((b) => b.hostPort && !isUnspecified(b.hostIp)) ?? list.find((b) => b.hostPort);
    if (!internal && !binding) continue;
    ports.push({ key, exposedPort, proto, binding });
  }
  return ports.sort((a, b) => Number(a.exposedPort) - Number(b.exposedPort) || a.proto.localeCompare(b.proto));
}

function dedupe(tags: string[]): string[] {
  return [...new Set(tags)];
}

/**
 * The services one container should have. `roles` holds the runtime role of a service ID (from Consul KV); it
 * beats SERVICE_ROLE, and only when it belongs to this container (a recreated container never inherits it). Malformed keys produce warnings and are skipped; everything else is still defined.
 */
export function defineContainerServices(c: ContainerInspect, options: DefinitionOptions, roles: ReadonlyMap<string, RoleBinding> = new Map()): ContainerDefinition {
  const disposition = containerDisposition(c, options.deregister);
  const result: ContainerDefinition = { containerId: c.id, containerName: c.name, disposition, services: [], warnings: [] };
  if (disposition !== 'register') return result;
  if (!matchesLabelFilter(c.labels, options.labelFilter)) return result;
  const warn = (source: string, message: string, severity?: 'error') => result.warnings.push({ container: c.name, containerId: c.id, source, message, ...(severity ? { severity } : {}) });

  const ports = servicePorts(c, options.internal);
  for (const w of metadataWarnings(c.env, c.labels, ports.map((p) => p.exposedPort))) warn(`${w.source.kind} ${w.source.key}`, w.message);
  const isGroup = ports.length > 1;
  const hostNetwork = c.networkMode === 'host';
  const ids = new Map<string, DesiredService[]>();

  for (const port of ports) {
    const metadata = serviceMetadata(c.env, c.labels, port.exposedPort);
    const values = metadata.values;
    const ignore = values.get('ignore');
    if (isIgnored(ignore)) {
      if (isUnclearIgnore(ignore)) {
        warn(describeSource(metadata.sources.get('ignore'), 'ignore'), `"${ignore}" is not a boolean (true/false, 1/0, yes/no, on/off); read as true, as gliderlabs reads any value: port ${port.exposedPort} is not registered`);
      }
      continue;
    }
    let name = values.get('name') ?? '';
    if (!name) {
      if (options.explicit) continue;
      name = implicitServiceName(c);
    }
    if (isGroup && !metadata.fromPort.has('name')) name += `-${port.exposedPort}`;

    const { address, port: servicePort } = serviceAddress(c, port, metadata, options, hostNetwork, warn);
    if (!address) {
      warn('address', `no address for port ${port.key} (container has no IP on the chosen network); service skipped`);
      continue;
    }

    let id = `${options.hostname}:${c.name}:${port.exposedPort}`;
    if (port.proto === 'udp') id += ':udp';
    const customId = values.get('id');
    if (customId) id = port.proto === 'udp' && !customId.endsWith(':udp') ? `${customId}:udp` : customId; // PR #599: keep :udp

    const binding = roles.get(id);
    let role = binding && roleBelongsTo(binding, c.id) ? binding.role : undefined;
    if (role !== undefined && !isValidRole(role)) {
      warn(`role of ${id}`, `role "${role}" from Consul KV is not a valid tag; using the label's role`);
      role = undefined;
    }
    if (role === undefined && values.get('role')) {
      const labelRole = values.get('role') as string;
      if (isValidRole(labelRole)) role = labelRole;
      else warn(describeSource(metadata.sources.get('role'), 'role'), `role "${labelRole}" is not a valid tag (letters, digits, _ . -); ignored`);
    }
    const tags = dedupe([...parseTags(values.get('tags')), ...options.tags, ...(port.proto === 'udp' ? ['udp'] : []), ...(role ? [role] : [])]);

    const { meta: userMeta, problems } = serviceMeta(metadata, 3);
    for (const p of problems) warn(describeSource(p.source, p.key), p.message);

    const { checks, ttlStatuses, warnings } = buildChecks(metadata, {
      serviceId: id, serviceName: name, address, port: servicePort, containerId: c.id, exposedPort: port.exposedPort,
      dockerHealth: c.health, hasHealthcheck: c.hasHealthcheck, healthTtl: options.healthTtl, ttlSeconds: options.ttlSeconds,
    });
    for (const w of warnings) warn(w.source, w.message, w.severity);

    const meta: Record<string, string> = { ...userMeta, [META_NODE]: options.hostname, [META_CONTAINER]: c.id };
    // The role is also in Meta, where consumers (the renderer's byRole) read it without guessing which tag is a role.
    if (role) meta.role = role;
    const registration: ServiceRegistration = { id, name, tags, address, port: servicePort, meta, checks };
    registration.meta[META_SPEC] = registrationSpecHash(registration);
    const service: DesiredService = { containerId: c.id, registration, ttlStatuses };
    ids.set(id, [...(ids.get(id) ?? []), service]);
  }

  for (const [id, services] of ids) {
    if (services.length > 1) {
      warn('SERVICE_ID', `${services.length} ports share the service ID "${id}"; only the first (port ${services[0].registration.port}) is registered`);
    }
    result.services.push(services[0]);
  }
  return result;
}

function serviceAddress(
  c: ContainerInspect,
  port: ServicePort,
  metadata: ServiceMetadata,
  options: DefinitionOptions,
  hostNetwork: boolean,
  warn: (source: string, message: string) => void,
): { address: string; port: number } {
  let hostAddress = options.hostIp;
  if (port.binding && !isUnspecified(port.binding.hostIp)) hostAddress = port.binding.hostIp;
  if (options.forcedIp) hostAddress = options.forcedIp;

  let address: string;
  let servicePort: number;
  if (options.internal && !hostNetwork) {
    const wanted = metadata.values.get('network') || undefined;
    const chosen = chooseNetworkAddress(c, wanted);
    if (chosen.problem) warn(describeSource(metadata.sources.get('network'), 'network'), `${chosen.problem}; using ${chosen.network ?? 'no network'}`);
    address = chosen.address;
    servicePort = Number(port.exposedPort);
  } else {
    address = hostAddress;
    servicePort = Number(options.internal ? port.exposedPort : port.binding?.hostPort);
  }

  if (options.useIpFromLabel) {
    const fromLabel = c.labels[options.useIpFromLabel];
    if (fromLabel) {
      const slash = fromLabel.lastIndexOf('/');
      address = slash > -1 ? fromLabel.slice(0, slash) : fromLabel;
    } else {
      warn(`-useIpFromLabel ${options.useIpFromLabel}`, `label "${options.useIpFromLabel}" not found on the container; keeping ${address || 'no address'}`);
    }
  }

  // NetworkMode container:<id> (pods): the network container's address beats everything, as in gliderlabs.
  if (c.networkMode.startsWith('container:')) {
    if (c.networkContainer) {
      const chosen = chooseNetworkAddress({ networkMode: '', ipAddress: c.networkContainer.ipAddress, globalIPv6Address: '', networks: c.networkContainer.networks });
      if (chosen.address) address = chosen.address;
    } else {
      warn('NetworkMode', `network container ${c.networkMode.slice('container:'.length, 'container:'.length + 12)} could not be inspected; keeping ${address}`);
    }
  }
  return { address, port: servicePort };
}
