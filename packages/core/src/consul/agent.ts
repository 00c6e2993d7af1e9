// Agent answers: /v1/agent/services, /v1/agent/service/<id>, /v1/agent/checks, /v1/agent/members, /v1/agent/self.

import { arrayAt, entriesAt, Fields } from './payload';
import { compareText, parseHealthCheck, parseServiceTaggedAddresses, parseWeights, type HealthCheck, type ServiceAddress, type Weights } from './health';

export interface AgentService {
  ID: string;
  /** The service name (Consul's field is "Service"). */
  Service: string;
  Kind: string;
  Tags: string[];
  Meta: Record<string, string>;
  Address: string;
  Port: number;
  TaggedAddresses: Record<string, ServiceAddress>;
  Weights: Weights;
  EnableTagOverride: boolean;
  Datacenter: string;
  /** Only on /v1/agent/service/<id>. */
  ContentHash?: string;
  Namespace?: string;
}

export interface AgentMember {
  Name: string;
  Addr: string;
  Port: number;
  Tags: Record<string, string>;
  /** Serf status: 1 alive, 2 leaving, 3 left, 4 failed. */
  Status: number;
}

/** The parts of /v1/agent/self the daemons use. */
export interface AgentSelf {
  Datacenter: string;
  NodeName: string;
  NodeID: string;
  Server: boolean;
  Version: string;
}

export function parseAgentService(value: unknown, path: string): AgentService {
  const f = new Fields(value, path);
  const service: AgentService = {
    ID: f.string('ID'),
    Service: f.string('Service'),
    Kind: f.stringOr('Kind', ''),
    Tags: f.strings('Tags'),
    Meta: f.stringMap('Meta'),
    Address: f.stringOr('Address', ''),
    Port: f.intOr('Port', 0),
    TaggedAddresses: parseServiceTaggedAddresses(f, 'TaggedAddresses'),
    Weights: parseWeights(f, 'Weights'),
    EnableTagOverride: f.boolOr('EnableTagOverride', false),
    Datacenter: f.stringOr('Datacenter', ''),
  };
  const hash = f.optString('ContentHash');
  if (hash !== undefined) service.ContentHash = hash;
  const ns = f.optString('Namespace');
  if (ns !== undefined) service.Namespace = ns;
  return service;
}

/** /v1/agent/services ({id: service}) -> services sorted by ID. */
export function parseAgentServices(body: unknown): AgentService[] {
  return entriesAt(body, '')
    .map((entry) => parseAgentService(entry.value, entry.path))
    .sort((a, b) => compareText(a.ID, b.ID));
}

/** /v1/agent/checks ({id: check}) -> checks sorted by CheckID. */
export function parseAgentChecks(body: unknown): HealthCheck[] {
  return entriesAt(body, '')
    .map((entry) => parseHealthCheck(entry.value, entry.path))
    .sort((a, b) => compareText(a.CheckID, b.CheckID));
}

export function parseAgentMembers(body: unknown): AgentMember[] {
  return arrayAt(body, '').map((item) => {
    const f = new Fields(item.value, item.path);
    return { Name: f.string('Name'), Addr: f.string('Addr'), Port: f.intOr('Port', 0), Tags: f.stringMap('Tags'), Status: f.int('Status') };
  });
}

export function parseAgentSelf(body: unknown): AgentSelf {
  const config = new Fields(body, '').object('Config');
  return {
    Datacenter: config.string('Datacenter'),
    NodeName: config.string('NodeName'),
    NodeID: config.stringOr('NodeID', ''),
    Server: config.boolOr('Server', false),
    Version: config.stringOr('Version', ''),
  };
}
