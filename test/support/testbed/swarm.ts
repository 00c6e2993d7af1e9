// A Docker swarm-mode cluster across testbed hosts: init on the first manager, join the rest over the bridge.
// Address pools stay inside the testbed's own range; node labels name each node (every engine shares the
// machine's host name); a short dispatcher heartbeat makes a dead node Down in seconds, not 15 s.

import { waitFor } from '../../../packages/core/src';
import type { Testbed, TestbedHost } from './testbed';

export interface SwarmOptions {
  /** The hosts that join (default: every host of the bed); the first manager inits the swarm. */
  hosts?: readonly string[];
  managers?: readonly string[];
  /** `docker swarm update --dispatcher-heartbeat`; 1s in tests. */
  dispatcherHeartbeat?: string;
}

export interface Swarm {
  managers: TestbedHost[];
  workers: TestbedHost[];
  /** Node id per host name. */
  nodeIds: Map<string, string>;
}

function createGatewayBridge(host: TestbedHost, subnet: string): void {
  // Swarm creates docker_gwbridge on first use from the default pools (172.x here): make it first, in range.
  const existing = host.docker(['network', 'ls', '--filter', 'name=^docker_gwbridge$', '--format', '{{.Name}}']);
  if (existing === 'docker_gwbridge') return;
  host.docker([
    'network', 'create', '--subnet', subnet,
    '--opt', 'com.docker.network.bridge.name=docker_gwbridge',
    '--opt', 'com.docker.network.bridge.enable_icc=false',
    '--opt', 'com.docker.network.bridge.enable_ip_masquerade=false',
    'docker_gwbridge',
  ]);
}

export function formSwarm(bed: Testbed, options: SwarmOptions = {}): Swarm {
  const members = options.hosts ? options.hosts.map((name) => bed.host(name)) : bed.hosts;
  const managerNames = options.managers ?? [members[0].name];
  const managers = managerNames.map((name) => bed.host(name));
  const workers = members.filter((host) => !managerNames.includes(host.name));
  const [leader, ...otherManagers] = managers;
  for (const host of members) createGatewayBridge(host, bed.layout.gatewayBridgeSubnet);
  const [pool, mask] = [bed.layout.swarmAddressPool, '24'];
  leader.docker([
    'swarm', 'init',
    '--advertise-addr', leader.address,
    '--listen-addr', `${leader.address}:2377`,
    '--data-path-addr', leader.address,
    '--default-addr-pool', pool,
    '--default-addr-pool-mask-length', mask,
    '--dispatcher-heartbeat', options.dispatcherHeartbeat ?? '1s',
  ]);
  const managerToken = leader.docker(['swarm', 'join-token', '-q', 'manager']);
  const workerToken = leader.docker(['swarm', 'join-token', '-q', 'worker']);
  const join = (host: TestbedHost, token: string): void => {
    host.docker(['swarm', 'join', '--token', token, '--advertise-addr', host.address, '--listen-addr', `${host.address}:2377`, '--data-path-addr', host.address, `${leader.address}:2377`]);
  };
  for (const host of otherManagers) join(host, managerToken);
  for (const host of workers) join(host, workerToken);
  const nodeIds = new Map<string, string>();
  for (const host of members) {
    const id = host.docker(['info', '--format', '{{.Swarm.NodeID}}']);
    nodeIds.set(host.name, id);
    leader.docker(['node', 'update', '--label-add', `cst.host=${host.name}`, id]);
  }
  return { managers, workers, nodeIds };
}

/** Resolves once `host`'s swarm node is Ready and a reachable manager again, as `manager` sees it (after a revive). */
export async function waitSwarmNodeReady(manager: TestbedHost, host: TestbedHost, timeoutMs = 60_000): Promise<void> {
  await waitFor(() => {
    try {
      const out = manager.docker(['node', 'ls', '--filter', `node.label=cst.host=${host.name}`, '--format', '{{.Status}} {{.ManagerStatus}}']);
      return out.startsWith('Ready') && /Leader|Reachable/.test(out);
    } catch {
      return false;
    }
  }, { timeoutMs, intervalMs: 500, message: `${host.name} Ready in the swarm` });
}
