// Where a testbed's pieces live: names of namespaces, links and cgroups, paths of sockets and data, the address plan.
// Pure: everything else in the testbed derives its names from here, so a sweep can find every leftover by prefix.

/** Every namespace, link, cgroup, path and process of any testbed carries this prefix. */
export const TESTBED_PREFIX = 'cst';
export const TESTBED_RUN_ROOT = `/run/${TESTBED_PREFIX}`;
export const TESTBED_DATA_ROOT = `/var/lib/${TESTBED_PREFIX}`;
const MAX_LINK_NAME = 15; // IFNAMSIZ - 1

export interface HostLayout {
  /** The host's name as tests and Consul know it (node name). */
  name: string;
  /** Its address on the testbed's bridge. */
  address: string;
  /** `ip netns` name and the path nsenter --net takes. */
  netns: string;
  netnsPath: string;
  /** The veth end left in the root namespace, enslaved to the bridge; cutting the link takes it down. */
  rootLink: string;
  runDir: string;
  dataDir: string;
  dockerSocket: string;
  dockerHost: string;
  dockerPidfile: string;
  dockerExecRoot: string;
  dockerDataRoot: string;
  dockerConfigFile: string;
  dockerLog: string;
  /** The cgroup parent of the host's containers (so a killed engine's containers can be found and ended). */
  cgroupParent: string;
}

export interface BedLayout {
  id: string;
  bridge: string;
  subnet: string;
  prefixLength: 24;
  runDir: string;
  dataDir: string;
  ownerFile: string;
  /** Address pools for swarm mode's overlay networks and docker_gwbridge, inside the testbed's own range. */
  swarmAddressPool: string;
  gatewayBridgeSubnet: string;
  /** For a bridge network local to each host's engine (containers publishing on the host's address). */
  localNetworkSubnet: string;
  hosts: HostLayout[];
}

export interface LayoutOptions {
  /** Two to six lower-case letters or digits; names every object of this bed. */
  id: string;
  /**
   * 0..15 or 20..63: picks the bed's address plan, so two beds can run side by side. 0..15 (the first beds) live in
   * 10.213.0.0/16 as before; 20..63 (blocks of ten handed to parallel sessions: 20-29, 30-39, ...) in 10.214.0.0/16
   * and 10.215.0.0/16, where 10.213's plan has no room. 16..19 stay out of range, as the first plan had them.
   */
  index: number;
  hosts: readonly string[];
}

const HOST_NAME = /^[a-z][a-z0-9]{0,7}$/;
const BED_ID = /^[a-z0-9]{2,6}$/;

export function planBedLayout(options: LayoutOptions): BedLayout {
  const { id, index, hosts } = options;
  if (!BED_ID.test(id)) throw new Error(`testbed id: expected 2-6 lower-case letters or digits, got ${JSON.stringify(id)}`);
  if (!Number.isInteger(index) || index < 0 || index > MAX_INDEX || (index > 15 && index < 20)) {
    throw new Error(`testbed index: expected an integer 0..15 or 20..${MAX_INDEX}, got ${index}`);
  }
  if (hosts.length < 1 || hosts.length > 40) throw new Error(`testbed hosts: expected 1..40 hosts, got ${hosts.length}`);
  const seen = new Set<string>();
  for (const host of hosts) {
    if (!HOST_NAME.test(host)) throw new Error(`testbed host name: expected a lower-case letter then up to 7 letters or digits, got ${JSON.stringify(host)}`);
    if (seen.has(host)) throw new Error(`testbed host name: ${host} is given twice`);
    seen.add(host);
  }
  const base = `${TESTBED_PREFIX}${id}`;
  const runDir = `${TESTBED_RUN_ROOT}/${id}`;
  const dataDir = `${TESTBED_DATA_ROOT}/${id}`;
  const bridge = `${base}-br`;
  if (bridge.length > MAX_LINK_NAME) throw new Error(`testbed id ${id}: bridge name ${bridge} is longer than ${MAX_LINK_NAME}`);
  const plan = planAddresses(index);
  return {
    id,
    bridge,
    subnet: `${plan.hostNet}.0`,
    prefixLength: 24,
    runDir,
    dataDir,
    ownerFile: `${runDir}/owner`,
    ...plan.pools,
    hosts: hosts.map((name, i) => planHostLayout(base, runDir, dataDir, plan.hostNet, name, i)),
  };
}

const MAX_INDEX = 63;

/** The bed's /24 for its hosts ("a.b.c") and its Docker pools; no two indexes share an address. */
function planAddresses(index: number): { hostNet: string; pools: Pick<BedLayout, 'swarmAddressPool' | 'gatewayBridgeSubnet' | 'localNetworkSubnet'> } {
  if (index < 16) {
    return {
      hostNet: `10.213.${index}`,
      pools: { swarmAddressPool: `10.213.${64 + index * 4}.0/22`, gatewayBridgeSubnet: `10.213.${32 + index}.0/24`, localNetworkSubnet: `10.213.${16 + index}.0/24` },
    };
  }
  return {
    hostNet: `10.214.${index}`,
    pools: { swarmAddressPool: `10.215.${index * 4}.0/22`, gatewayBridgeSubnet: `10.214.${128 + index}.0/24`, localNetworkSubnet: `10.214.${64 + index}.0/24` },
  };
}

function planHostLayout(base: string, bedRun: string, bedData: string, hostNet: string, name: string, position: number): HostLayout {
  const runDir = `${bedRun}/${name}`;
  const dataDir = `${bedData}/${name}`;
  const rootLink = `${base}-${name}`;
  if (rootLink.length > MAX_LINK_NAME) throw new Error(`testbed host ${name}: link name ${rootLink} is longer than ${MAX_LINK_NAME}`);
  const dockerSocket = `${runDir}/docker.sock`;
  return {
    name,
    address: `${hostNet}.${11 + position}`,
    netns: `${base}-${name}`,
    netnsPath: `/run/netns/${base}-${name}`,
    rootLink,
    runDir,
    dataDir,
    dockerSocket,
    dockerHost: `unix://${dockerSocket}`,
    dockerPidfile: `${runDir}/docker.pid`,
    dockerExecRoot: `${runDir}/x`,
    dockerDataRoot: `${dataDir}/docker`,
    dockerConfigFile: `${dataDir}/daemon.json`,
    dockerLog: `${runDir}/dockerd.log`,
    cgroupParent: `${base}-${name}`,
  };
}

/** The bed id a namespace, link or cgroup name belongs to, or undefined when it is not a testbed's. */
export function bedIdOf(objectName: string): string | undefined {
  const match = new RegExp(`^${TESTBED_PREFIX}([a-z0-9]{2,6})-`).exec(objectName);
  return match?.[1];
}
