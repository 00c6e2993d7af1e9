// The catalog: the agent's own node, its services and its checks (the agent's local state and its
// node's catalog entries are the same records), plus other nodes written through
// /v1/catalog/register, which only the catalog and health endpoints show and nothing runs.

import { internal } from './errors';
import { StateStore, Topics, WriteContext } from './state-store';

export type HealthStatus = 'passing' | 'warning' | 'critical';
export const HEALTH_STATUSES: readonly HealthStatus[] = ['passing', 'warning', 'critical'];

export interface Weights {
  Passing: number;
  Warning: number;
}

export interface ServiceDefinition {
  id: string;
  name: string;
  kind: string;
  tags: string[];
  address: string;
  port: number;
  meta: Record<string, string>;
  taggedAddresses: Record<string, { Address: string; Port: number }>;
  enableTagOverride: boolean;
  weights: Weights;
}

export interface ServiceRecord extends ServiceDefinition {
  /** False for the `consul` service, which the agent endpoints do not list. */
  agentLocal: boolean;
  createIndex: number;
  modifyIndex: number;
}

export interface CheckDefinition {
  http?: string;
  method?: string;
  header?: Record<string, string[]>;
  body?: string;
  tlsSkipVerify?: boolean;
  tcp?: string;
  args?: string[];
  ttlMs?: number;
  intervalMs?: number;
  timeoutMs?: number;
  deregisterCriticalServiceAfterMs?: number;
}

export interface CheckRegistration {
  checkId: string;
  name: string;
  notes: string;
  /** The initial status; undefined keeps an existing check's status, else critical. */
  status?: HealthStatus;
  serviceId: string;
  type: string;
  definition: CheckDefinition;
}

export interface CheckRecord {
  checkId: string;
  name: string;
  notes: string;
  status: HealthStatus;
  output: string;
  serviceId: string;
  serviceName: string;
  serviceTags: string[];
  type: string;
  definition: CheckDefinition;
  agentLocal: boolean;
  /** When the check last turned critical (ms epoch); undefined while not critical. */
  criticalSince?: number;
  createIndex: number;
  modifyIndex: number;
}

export interface NodeRecord {
  id: string;
  node: string;
  address: string;
  datacenter: string;
  taggedAddresses: Record<string, string>;
  meta: Record<string, string>;
  createIndex: number;
  modifyIndex: number;
}

/** One node of the catalog with its services and checks. */
/** Read-side lookups of one raft index (Catalog.readIndex). */
export interface CatalogReadIndex {
  readonly index: number;
  instancesNamed(name: string): readonly { state: NodeState; service: ServiceRecord }[];
  /** serviceId '' gives the node's own checks. */
  checksOfServiceOn(state: NodeState, serviceId: string): readonly CheckRecord[];
}

export interface NodeState {
  readonly node: NodeRecord;
  readonly services: Map<string, ServiceRecord>;
  readonly checks: Map<string, CheckRecord>;
  /** True for the agent's own node. */
  readonly local: boolean;
}

/** A check as /v1/catalog/register takes it: status and all, nothing runs it. */
export interface CatalogCheck {
  node: string;
  checkId: string;
  name: string;
  notes: string;
  status: HealthStatus;
  output: string;
  serviceId: string;
  type: string;
  definition: CheckDefinition;
}

/** A decoded /v1/catalog/register request (structs.RegisterRequest). */
export interface CatalogRegistration {
  node: Omit<NodeRecord, 'createIndex' | 'modifyIndex'>;
  skipNodeUpdate: boolean;
  service?: ServiceDefinition;
  checks: CatalogCheck[];
}

/** Catalog events, each naming the node it happened on (the agent's own node is `local`). */
export interface CatalogListener {
  /** A check was added or its definition changed on the agent's own node (restart its runner). */
  checkDefined?(check: CheckRecord, node: NodeState): void;
  checkRemoved?(check: CheckRecord, node: NodeState): void;
  checkStatusChanged?(check: CheckRecord, previous: HealthStatus, node: NodeState): void;
  /** A node other than the agent's left the catalog, with everything on it. */
  nodeRemoved?(node: NodeState): void;
}

export const SERF_CHECK_ID = 'serfHealth';
/** serfHealth's outputs, as Consul's leader writes them (structs.SerfCheckAliveOutput/FailedOutput). */
export const SERF_ALIVE_OUTPUT = 'Agent alive and reachable';
export const SERF_FAILED_OUTPUT = 'Agent not live or unreachable';

function serfCheck(node: string, status: HealthStatus, output: string): CatalogCheck {
  return { node, checkId: SERF_CHECK_ID, name: 'Serf Health Status', notes: '', status, output, serviceId: '', type: '', definition: {} };
}
export const NODE_MAINTENANCE_CHECK_ID = '_node_maintenance';
export const serviceMaintenanceCheckId = (serviceId: string): string => `_service_maintenance:${serviceId}`;
const DEFAULT_SERVICE_MAINTENANCE_REASON =
  'Maintenance mode is enabled for this service, but no reason was provided. This is a default message.';
const DEFAULT_NODE_MAINTENANCE_REASON =
  'Maintenance mode is enabled for this node, but no reason was provided. This is a default message.';

function compareNames(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Entries of the agent's own node that anti-entropy keeps as the agent has them (and the
 * leader's `consul` service and serfHealth check): catalog writes to them do not last. */
function managedService(service: ServiceRecord): boolean {
  return service.agentLocal || service.id === 'consul';
}

function managedCheck(check: CheckRecord): boolean {
  return check.agentLocal || check.checkId === SERF_CHECK_ID;
}

function sameNode(a: Omit<NodeRecord, 'createIndex' | 'modifyIndex'>, b: NodeRecord): boolean {
  return a.id === b.id && a.address === b.address && sameJson(a.taggedAddresses, b.taggedAddresses) && sameJson(a.meta, b.meta);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function serviceDefinitionOf(record: ServiceRecord): ServiceDefinition {
  const { id, name, kind, tags, address, port, meta, taggedAddresses, enableTagOverride, weights } = record;
  return { id, name, kind, tags, address, port, meta, taggedAddresses, enableTagOverride, weights };
}

export class Catalog {
  readonly services = new Map<string, ServiceRecord>();
  readonly checks = new Map<string, CheckRecord>();
  readonly node: NodeRecord;
  /** Nodes other than the agent's, by lower-cased name (Consul's node index is case-insensitive). */
  readonly remote = new Map<string, NodeState>();
  private cachedReadIndex?: CatalogReadIndex;
  readonly local: NodeState;
  private readonly listeners: CatalogListener[] = [];

  constructor(
    private readonly store: StateStore,
    node: Omit<NodeRecord, 'createIndex' | 'modifyIndex'>,
    consulServiceMeta: Record<string, string>,
    /** Servers carry the `consul` service; a client agent's node does not. */
    server = true,
  ) {
    this.node = store.write((w) => {
      w.touch(Topics.nodes);
      const index = w.index();
      if (server) this.services.set('consul', {
        id: 'consul',
        name: 'consul',
        kind: '',
        tags: [],
        address: '',
        port: 8300,
        meta: consulServiceMeta,
        taggedAddresses: {},
        enableTagOverride: false,
        weights: { Passing: 1, Warning: 1 },
        agentLocal: false,
        createIndex: index,
        modifyIndex: index,
      });
      w.touch(Topics.services, Topics.service('consul'));
      this.checks.set(SERF_CHECK_ID, {
        checkId: SERF_CHECK_ID,
        name: 'Serf Health Status',
        notes: '',
        status: 'passing',
        output: SERF_ALIVE_OUTPUT,
        serviceId: '',
        serviceName: '',
        serviceTags: [],
        type: '',
        definition: {},
        agentLocal: false,
        createIndex: index,
        modifyIndex: index,
      });
      w.touch(Topics.checks);
      return { ...node, createIndex: index, modifyIndex: index };
    });
    this.local = { node: this.node, services: this.services, checks: this.checks, local: true };
  }

  addListener(listener: CatalogListener): void {
    this.listeners.push(listener);
  }

  /** Every node, the agent's included, in Consul's order (by name, case-insensitively). */
  nodeStates(): NodeState[] {
    return [this.local, ...this.remote.values()].sort((a, b) => compareNames(a.node.node, b.node.node));
  }

  findNode(name: string): NodeState | undefined {
    const key = name.toLowerCase();
    return key === this.node.node.toLowerCase() ? this.local : this.remote.get(key);
  }

  /** The instances of a service on every node, ordered by node then service ID as Consul's index. */
  instancesNamed(name: string): { state: NodeState; service: ServiceRecord }[] {
    return this.nodeStates().flatMap((state) => [...state.services.values()]
      .filter((s) => s.name === name)
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((service) => ({ state, service })));
  }

  /**
   * What the read endpoints look up, indexed once per raft index (reads between two writes share it): instances
   * by service name, in instancesNamed's order, and each node's checks by service ID ('' for node checks), sorted.
   * Built lazily: the names in one pass over the services (each name's list sorted when first read), a node's checks
   * when one of its instances is first read. A write followed by the read of one service costs that pass, not the
   * sort of every service and check in the catalog (20-58 ms at 10,000 instances).
   * Only for reads: inside a write the index has moved before the write is done.
   */
  readIndex(): CatalogReadIndex {
    const index = this.store.lastIndex;
    if (this.cachedReadIndex?.index === index) return this.cachedReadIndex;
    type Entry = { state: NodeState; service: ServiceRecord; node: number };
    let byName: Map<string, Entry[]> | undefined;
    const sorted = new Set<string>();
    const checks = new Map<NodeState, Map<string, CheckRecord[]>>();
    const names = (): Map<string, Entry[]> => {
      if (byName) return byName;
      byName = new Map();
      this.nodeStates().forEach((state, node) => {
        for (const service of state.services.values()) {
          let list = byName!.get(service.name);
          if (!list) byName!.set(service.name, (list = []));
          list.push({ state, service, node });
        }
      });
      return byName;
    };
    const checksOn = (state: NodeState): Map<string, CheckRecord[]> => {
      let own = checks.get(state);
      if (own) return own;
      own = new Map();
      for (const check of [...state.checks.values()].sort((a, b) => (a.checkId < b.checkId ? -1 : 1))) {
        let list = own.get(check.serviceId);
        if (!list) own.set(check.serviceId, (list = []));
        list.push(check);
      }
      checks.set(state, own);
      return own;
    };
    this.cachedReadIndex = {
      index,
      instancesNamed: (name) => {
        const list = names().get(name);
        if (!list) return [];
        if (!sorted.has(name)) {
          list.sort((a, b) => a.node - b.node || (a.service.id < b.service.id ? -1 : a.service.id > b.service.id ? 1 : 0));
          sorted.add(name);
        }
        return list;
      },
      checksOfServiceOn: (state, serviceId) => checksOn(state).get(serviceId) ?? [],
    };
    return this.cachedReadIndex;
  }

  nodeChecksOf(state: NodeState): CheckRecord[] {
    return [...state.checks.values()].filter((c) => c.serviceId === '').sort((a, b) => (a.checkId < b.checkId ? -1 : 1));
  }

  checksOfServiceOn(state: NodeState, serviceId: string): CheckRecord[] {
    return [...state.checks.values()].filter((c) => c.serviceId === serviceId).sort((a, b) => (a.checkId < b.checkId ? -1 : 1));
  }

  checksOfService(serviceId: string): CheckRecord[] {
    return [...this.checks.values()].filter((c) => c.serviceId === serviceId).sort((a, b) => (a.checkId < b.checkId ? -1 : 1));
  }

  /** Topics a check's change touches: node-level checks affect every service's health. */
  private touchCheck(w: WriteContext, check: CheckRecord): void {
    w.touch(Topics.checks);
    if (check.serviceName) w.touch(Topics.service(check.serviceName));
    else for (const service of this.services.values()) w.touch(Topics.service(service.name));
  }

  private touchService(w: WriteContext, service: ServiceDefinition): void {
    w.touch(Topics.services, Topics.service(service.name), Topics.agentService(service.id));
  }

  registerService(definition: ServiceDefinition, checks: CheckRegistration[], replaceExistingChecks: boolean): void {
    this.store.write((w) => {
      const existing = this.services.get(definition.id);
      if (!existing || !sameJson(serviceDefinitionOf(existing), definition)) {
        const index = w.index();
        this.services.set(definition.id, {
          ...definition,
          agentLocal: true,
          createIndex: existing?.createIndex ?? index,
          modifyIndex: index,
        });
        if (existing) this.touchService(w, existing);
        this.touchService(w, definition);
        for (const check of this.checksOfService(definition.id)) {
          if (sameJson(check.serviceTags, definition.tags) && check.serviceName === definition.name) continue;
          this.checks.set(check.checkId, {
            ...check,
            serviceName: definition.name,
            serviceTags: definition.tags,
            modifyIndex: w.index(),
          });
          this.touchCheck(w, check);
        }
      }
      const wanted = new Set(checks.map((c) => c.checkId));
      for (const check of checks) this.upsertCheck(w, check);
      if (replaceExistingChecks) {
        for (const check of this.checksOfService(definition.id)) {
          if (!wanted.has(check.checkId) && check.checkId !== serviceMaintenanceCheckId(definition.id)) {
            this.removeCheck(w, check.checkId);
          }
        }
      }
    });
  }

  deregisterService(serviceId: string): boolean {
    return this.store.write((w) => {
      const existing = this.services.get(serviceId);
      if (!existing || !existing.agentLocal) return false;
      for (const check of this.checksOfService(serviceId)) this.removeCheck(w, check.checkId);
      this.services.delete(serviceId);
      this.touchService(w, existing);
      return true;
    });
  }

  registerCheck(check: CheckRegistration): void {
    this.store.write((w) => this.upsertCheck(w, check));
  }

  deregisterCheck(checkId: string): boolean {
    return this.store.write((w) => this.removeCheck(w, checkId));
  }

  /** Sets a check's status and output. Output-only changes are not synced to the catalog index,
   * as Consul defers them (check_update_interval). */
  updateCheck(checkId: string, status: HealthStatus, output: string): void {
    const check = this.checks.get(checkId);
    if (!check) return;
    if (check.status === status) {
      if (check.output !== output) this.store.changedWithoutIndex();
      check.output = output;
      return;
    }
    this.store.write((w) => {
      const previous = check.status;
      const updated: CheckRecord = {
        ...check,
        status,
        output,
        criticalSince: status === 'critical' ? Date.now() : undefined,
        modifyIndex: w.index(),
      };
      this.checks.set(checkId, updated);
      this.touchCheck(w, updated);
      for (const listener of this.listeners) listener.checkStatusChanged?.(updated, previous, this.local);
    });
  }

  enableServiceMaintenance(serviceId: string, reason: string): void {
    const service = this.services.get(serviceId);
    const checkId = serviceMaintenanceCheckId(serviceId);
    if (!service || this.checks.has(checkId)) return;
    this.registerCheck({
      checkId,
      name: 'Service Maintenance Mode',
      notes: reason || DEFAULT_SERVICE_MAINTENANCE_REASON,
      status: 'critical',
      serviceId,
      type: 'maintenance',
      definition: {},
    });
  }

  disableServiceMaintenance(serviceId: string): void {
    this.deregisterCheck(serviceMaintenanceCheckId(serviceId));
  }

  enableNodeMaintenance(reason: string): void {
    if (this.checks.has(NODE_MAINTENANCE_CHECK_ID)) return;
    this.registerCheck({
      checkId: NODE_MAINTENANCE_CHECK_ID,
      name: 'Node Maintenance Mode',
      notes: reason || DEFAULT_NODE_MAINTENANCE_REASON,
      status: 'critical',
      serviceId: '',
      type: 'maintenance',
      definition: {},
    });
  }

  disableNodeMaintenance(): void {
    this.deregisterCheck(NODE_MAINTENANCE_CHECK_ID);
  }

  /**
   * PUT /v1/catalog/register: creates or updates a node, and optionally one service and checks on it,
   * in one write, validated as Consul's Catalog.Register (500 with Consul's text on a fault).
   * On the agent's own node the node record and the entries the agent manages stay as they are
   * (anti-entropy would restore them); other entries there are kept as catalog-only entries.
   */
  catalogRegister(request: CatalogRegistration): void {
    const nodeName = request.node.node;
    const existingState = this.findNode(nodeName);
    for (const check of request.checks) {
      if (check.node.toLowerCase() !== nodeName.toLowerCase()) {
        throw internal(`Node '${check.node}' for check '${check.checkId}' doesn't match register request node '${nodeName}'`);
      }
      if (check.serviceId && check.serviceId !== request.service?.id && !existingState?.services.has(check.serviceId)) {
        throw internal(`Unknown service ID '${check.serviceId}' for check ID '${check.checkId}'`);
      }
    }
    this.store.write((w) => {
      let state = existingState;
      if (!state) {
        const index = w.index();
        state = { node: { ...request.node, createIndex: index, modifyIndex: index }, services: new Map(), checks: new Map(), local: false };
        this.remote.set(nodeName.toLowerCase(), state);
        w.touch(Topics.nodes);
      } else if (!state.local && !request.skipNodeUpdate && !sameNode(request.node, state.node)) {
        Object.assign(state.node, { ...request.node, node: state.node.node, modifyIndex: w.index() });
        w.touch(Topics.nodes);
        for (const service of state.services.values()) w.touch(Topics.service(service.name));
      }
      if (request.service) this.catalogUpsertService(w, state, request.service);
      for (const check of request.checks) this.catalogUpsertCheck(w, state, check);
    });
  }

  /**
   * A cluster member's node as its agent's heartbeat describes it: created with a serfHealth check,
   * or its record updated. Nothing is written when it is already as described.
   */
  upsertMemberNode(node: Omit<NodeRecord, 'createIndex' | 'modifyIndex'>): NodeState {
    return this.store.write((w) => {
      let state = this.remote.get(node.node.toLowerCase());
      if (!state) {
        const index = w.index();
        state = { node: { ...node, createIndex: index, modifyIndex: index }, services: new Map(), checks: new Map(), local: false };
        this.remote.set(node.node.toLowerCase(), state);
        w.touch(Topics.nodes);
      } else if (!sameNode(node, state.node)) {
        Object.assign(state.node, { ...node, node: state.node.node, modifyIndex: w.index() });
        w.touch(Topics.nodes);
        for (const service of state.services.values()) w.touch(Topics.service(service.name));
      }
      if (!state.checks.has(SERF_CHECK_ID)) this.catalogUpsertCheck(w, state, serfCheck(node.node, 'passing', SERF_ALIVE_OUTPUT));
      return state;
    });
  }

  /** Sets a member node's serfHealth (the leader's view of gossip: alive or failed). */
  setSerfHealth(state: NodeState, status: HealthStatus, output: string): void {
    this.store.write((w) => this.catalogUpsertCheck(w, state, serfCheck(state.node.node, status, output)));
  }

  /**
   * Anti-entropy from a client agent: the member node's services and checks become exactly the
   * agent's (serfHealth excepted, which the servers own), in one write; unchanged entries stay
   * as they are, so a sync of unchanged state moves no index.
   */
  syncNode(state: NodeState, services: ServiceDefinition[], checks: CatalogCheck[]): void {
    this.store.write((w) => {
      const wantedServices = new Set(services.map((s) => s.id));
      const wantedChecks = new Set(checks.map((c) => c.checkId));
      for (const service of [...state.services.values()]) {
        if (!wantedServices.has(service.id)) this.catalogRemoveService(w, state, service);
      }
      for (const check of [...state.checks.values()]) {
        if (check.checkId !== SERF_CHECK_ID && !wantedChecks.has(check.checkId)) this.catalogRemoveCheck(w, state, check);
      }
      for (const service of services) this.catalogUpsertService(w, state, service);
      for (const check of checks) {
        if (check.checkId === SERF_CHECK_ID || (check.serviceId && !state.services.has(check.serviceId))) continue;
        this.catalogUpsertCheck(w, state, check);
      }
    });
  }

  /**
   * PUT /v1/catalog/deregister: removes a service (with its checks), a check, or a whole node (with
   * everything on it). Unknown names are no error, as in Consul.
   */
  catalogDeregister(nodeName: string, serviceId?: string, checkId?: string): void {
    const state = this.findNode(nodeName);
    if (!state) return;
    this.store.write((w) => {
      if (serviceId) {
        const service = state.services.get(serviceId);
        if (service && !(state.local && managedService(service))) this.catalogRemoveService(w, state, service);
        return;
      }
      if (checkId) {
        const check = state.checks.get(checkId);
        if (check && !(state.local && managedCheck(check))) this.catalogRemoveCheck(w, state, check);
        return;
      }
      for (const service of [...state.services.values()]) {
        if (!(state.local && managedService(service))) this.catalogRemoveService(w, state, service);
      }
      for (const check of [...state.checks.values()]) {
        if (!(state.local && managedCheck(check))) this.catalogRemoveCheck(w, state, check);
      }
      if (!state.local) {
        this.remote.delete(state.node.node.toLowerCase());
        w.touch(Topics.nodes, Topics.services, Topics.checks);
        for (const listener of this.listeners) listener.nodeRemoved?.(state);
      }
    });
  }

  private touchCheckOn(w: WriteContext, state: NodeState, check: CheckRecord): void {
    w.touch(Topics.checks);
    if (check.serviceName) w.touch(Topics.service(check.serviceName));
    else for (const service of state.services.values()) w.touch(Topics.service(service.name));
  }

  private catalogUpsertService(w: WriteContext, state: NodeState, definition: ServiceDefinition): void {
    const existing = state.services.get(definition.id);
    if (existing && state.local && managedService(existing)) return;
    if (existing && sameJson(serviceDefinitionOf(existing), definition)) return;
    const index = w.index();
    state.services.set(definition.id, { ...definition, agentLocal: false, createIndex: existing?.createIndex ?? index, modifyIndex: index });
    if (existing) this.touchService(w, existing);
    this.touchService(w, definition);
    for (const check of [...state.checks.values()]) {
      if (check.serviceId !== definition.id) continue;
      if (check.serviceName === definition.name && sameJson(check.serviceTags, definition.tags)) continue;
      const updated = { ...check, serviceName: definition.name, serviceTags: definition.tags, modifyIndex: index };
      state.checks.set(check.checkId, updated);
      this.touchCheckOn(w, state, check);
      this.touchCheckOn(w, state, updated);
    }
  }

  private catalogUpsertCheck(w: WriteContext, state: NodeState, input: CatalogCheck): void {
    const existing = state.checks.get(input.checkId);
    if (existing && state.local && managedCheck(existing)) return;
    const service = input.serviceId ? state.services.get(input.serviceId) : undefined;
    const next: Omit<CheckRecord, 'createIndex' | 'modifyIndex'> = {
      checkId: input.checkId,
      name: input.name,
      notes: input.notes,
      status: input.status,
      output: input.output,
      serviceId: input.serviceId,
      serviceName: service?.name ?? '',
      serviceTags: service?.tags ?? [],
      type: input.type,
      definition: input.definition,
      agentLocal: false,
      criticalSince: input.status !== 'critical' ? undefined : existing?.criticalSince ?? Date.now(),
    };
    const comparable = (c: Omit<CheckRecord, 'createIndex' | 'modifyIndex'>) => ({ ...c, createIndex: 0, modifyIndex: 0, criticalSince: undefined });
    if (existing && sameJson(comparable(existing), comparable(next))) return;
    const index = w.index();
    const record: CheckRecord = { ...next, createIndex: existing?.createIndex ?? index, modifyIndex: index };
    state.checks.set(record.checkId, record);
    if (existing) this.touchCheckOn(w, state, existing);
    this.touchCheckOn(w, state, record);
    if (existing && existing.status !== record.status) {
      for (const listener of this.listeners) listener.checkStatusChanged?.(record, existing.status, state);
    }
  }

  private catalogRemoveService(w: WriteContext, state: NodeState, service: ServiceRecord): void {
    for (const check of this.checksOfServiceOn(state, service.id)) this.catalogRemoveCheck(w, state, check);
    state.services.delete(service.id);
    this.touchService(w, service);
  }

  private catalogRemoveCheck(w: WriteContext, state: NodeState, check: CheckRecord): void {
    state.checks.delete(check.checkId);
    this.touchCheckOn(w, state, check);
    for (const listener of this.listeners) listener.checkRemoved?.(check, state);
  }

  private upsertCheck(w: WriteContext, registration: CheckRegistration): void {
    const existing = this.checks.get(registration.checkId);
    const service = registration.serviceId ? this.services.get(registration.serviceId) : undefined;
    const status = registration.status ?? existing?.status ?? 'critical';
    const keepsState = existing !== undefined && registration.status === undefined;
    const next: Omit<CheckRecord, 'createIndex' | 'modifyIndex'> = {
      checkId: registration.checkId,
      name: registration.name,
      notes: registration.notes,
      status,
      output: keepsState ? existing.output : '',
      serviceId: registration.serviceId,
      serviceName: service?.name ?? '',
      serviceTags: service?.tags ?? [],
      type: registration.type,
      definition: registration.definition,
      agentLocal: true,
      criticalSince: status !== 'critical' ? undefined : keepsState && existing.criticalSince ? existing.criticalSince : Date.now(),
    };
    const definitionChanged = !existing || !sameJson(existing.definition, next.definition) || existing.type !== next.type;
    if (existing && !definitionChanged && existing.name === next.name && existing.notes === next.notes
      && existing.status === next.status && existing.serviceName === next.serviceName
      && sameJson(existing.serviceTags, next.serviceTags)) {
      return;
    }
    const index = w.index();
    const record: CheckRecord = { ...next, createIndex: existing?.createIndex ?? index, modifyIndex: index };
    this.checks.set(record.checkId, record);
    this.touchCheck(w, record);
    if (definitionChanged) for (const listener of this.listeners) listener.checkDefined?.(record, this.local);
    if (existing && existing.status !== record.status) {
      for (const listener of this.listeners) listener.checkStatusChanged?.(record, existing.status, this.local);
    }
  }

  private removeCheck(w: WriteContext, checkId: string): boolean {
    const existing = this.checks.get(checkId);
    if (!existing || !existing.agentLocal) return false;
    this.checks.delete(checkId);
    this.touchCheck(w, existing);
    for (const listener of this.listeners) listener.checkRemoved?.(existing, this.local);
    return true;
  }
}
