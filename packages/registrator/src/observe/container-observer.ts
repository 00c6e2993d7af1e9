// Observes the Docker side: lists and inspects containers into their service definitions, in the order Docker saw them.

import type { Logger } from 'pino';
import { errorMessage, mapLimit } from '@consul-sidecars/core';
import { errorKind } from '../errors';
import type { RegistratorMetrics } from '../metrics';
import { defineContainerServices, matchesLabelFilter, uninspectedDefinition, type ContainerDefinition, type DefinitionOptions } from '../plan/service-definitions';
import type { ContainerInspect } from './container-inspect';
import type { ContainerSource, ContainerSummary } from './docker-source';
import type { RoleBinding } from '../role-keys';

export interface ContainerObserverOptions {
  definition: DefinitionOptions;
  inspectConcurrency: number;
  logger: Logger;
  metrics?: RegistratorMetrics;
}

/** A container a full pass listed, with the inspect it needed (undefined: not inspected, or gone meanwhile). */
interface ListedContainer {
  summary: ContainerSummary;
  seq: number;
  inspect?: ContainerInspect;
  gone: boolean;
  /** The inspect is the one held since an earlier pass (the list entry did not change): nothing to redefine. */
  reused?: boolean;
  /** The inspect failed (a container the engine holds locked while it starts, under load): its view stays as it was. */
  failed?: boolean;
}

export interface FullObservation {
  /** Observations older than this are stale for containers the list no longer shows. */
  seqAtStart: number;
  listed: ListedContainer[];
  /** Containers whose inspect failed this pass (kept as they were; the pass is retried with backoff). */
  uninspected: number;
}

export interface ContainerObservation {
  id: string;
  seq: number;
  inspect?: ContainerInspect;
  /** False when the inspect failed (the next full reconcile catches up). */
  ok: boolean;
}

/**
 * Stopped containers are inspected only when they still own services (-deregister on-success needs their exit code);
 * containers outside -label-filter only when they still own services (labels cannot change, but be safe).
 */
export function inspectionNeeded(summary: Pick<ContainerSummary, 'id' | 'status' | 'labels'>, owners: ReadonlySet<string | undefined>, labelFilter: DefinitionOptions['labelFilter']): boolean {
  return owners.has(summary.id) || (matchesLabelFilter(summary.labels, labelFilter) && (summary.status === 'running' || summary.status === 'paused' || summary.status === 'restarting'));
}

export class ContainerObserver {
  private readonly inspects = new Map<string, ContainerInspect>();
  private readonly defs = new Map<string, ContainerDefinition>();
  /** The sequence number of the newest observation applied per container: an older one never overwrites it. */
  private readonly observedSeq = new Map<string, number>();
  private readonly loggedWarnings = new Map<string, string>();
  /** The list fingerprint of the pass whose inspect is held (none after an event's inspect: the next pass inspects). */
  private readonly inspectedFingerprint = new Map<string, string>();
  private currentRoles: ReadonlyMap<string, RoleBinding> = new Map();
  private seq = 0;

  constructor(private readonly source: ContainerSource, private readonly options: ContainerObserverOptions) {}

  /** Every container that exists on the engine, by id (the planner's input). */
  get definitions(): ReadonlyMap<string, ContainerDefinition> {
    return this.defs;
  }

  get roles(): ReadonlyMap<string, RoleBinding> {
    return this.currentRoles;
  }

  /** Whether any desired service has checks (then the agent's checks must be read to compare). */
  needsChecks(): boolean {
    for (const def of this.defs.values()) if (def.services.some((s) => s.registration.checks.length > 0)) return true;
    return false;
  }

  /** Outside the pass lock: list every container and inspect the ones that matter (`owners`: containers that own services, asked once listed). */
  async observeAll(ownersNow: () => ReadonlySet<string | undefined>): Promise<FullObservation> {
    const seqAtStart = ++this.seq;
    const summaries = await this.source.list();
    const owners = ownersNow();
    const listed = await mapLimit(summaries, this.options.inspectConcurrency, async (s): Promise<ListedContainer> => {
      const seq = ++this.seq;
      if (!inspectionNeeded(s, owners, this.options.definition.labelFilter)) return { summary: s, seq, inspect: undefined, gone: false };
      const held = this.heldInspect(s);
      if (held) return { summary: s, seq, inspect: held, gone: false, reused: true };
      try {
        const inspect = await this.source.inspect(s.id);
        return { summary: s, seq, inspect, gone: inspect === undefined };
      } catch (err) {
        // One container the engine does not answer for must not hold back every other container's registration.
        this.options.metrics?.errors.inc({ kind: errorKind(err) });
        this.options.logger.warn({ container: s.id.slice(0, 12), name: s.name, err: errorMessage(err) }, 'inspect failed; its services stay as they are until it answers');
        return { summary: s, seq, inspect: undefined, gone: false, failed: true };
      }
    });
    return { seqAtStart, listed, uninspected: listed.filter((o) => o.failed).length };
  }

  /** Inside the pass lock: apply a full observation; containers no longer listed (and not seen since) are forgotten. */
  applyAll(observation: FullObservation): void {
    const listed = new Set<string>();
    for (const o of observation.listed) {
      if (o.gone) continue;
      listed.add(o.summary.id);
      if ((this.observedSeq.get(o.summary.id) ?? 0) > o.seq) continue; // an event saw it later
      if (o.failed) {
        // Unknown this pass: what it had stays; a container never seen before keeps whatever the agent holds for it.
        if (!this.defs.has(o.summary.id)) this.defs.set(o.summary.id, { containerId: o.summary.id, containerName: o.summary.name, disposition: 'keep', services: [], warnings: [] });
        continue;
      }
      this.observedSeq.set(o.summary.id, o.seq);
      if (o.inspect) {
        if (!o.reused || !this.defs.has(o.summary.id)) this.setInspect(o.inspect);
        if (o.summary.fingerprint) this.inspectedFingerprint.set(o.summary.id, o.summary.fingerprint);
      } else {
        this.inspects.delete(o.summary.id);
        this.inspectedFingerprint.delete(o.summary.id);
        this.defs.set(o.summary.id, uninspectedDefinition(o.summary, this.options.definition.deregister));
      }
    }
    for (const id of [...this.defs.keys()]) {
      if (!listed.has(id) && (this.observedSeq.get(id) ?? 0) < observation.seqAtStart) this.forget(id);
    }
  }

  /** Outside the pass lock: re-inspect these containers (after events). */
  observeContainers(ids: readonly string[]): Promise<ContainerObservation[]> {
    return mapLimit(ids, this.options.inspectConcurrency, async (id) => {
      const seq = ++this.seq;
      try {
        return { id, seq, inspect: await this.source.inspect(id), ok: true };
      } catch (err) {
        this.options.metrics?.errors.inc({ kind: errorKind(err) });
        this.options.logger.warn({ container: id.slice(0, 12), err: errorMessage(err) }, 'inspect failed; the next full reconcile will catch up');
        return { id, seq, inspect: undefined, ok: false };
      }
    });
  }

  /** Inside the pass lock: apply event observations; returns the containers whose view changed (the plan's scope). */
  applyContainers(observed: readonly ContainerObservation[]): Set<string> {
    const scope = new Set<string>();
    for (const o of observed) {
      if (!o.ok || (this.observedSeq.get(o.id) ?? 0) > o.seq) continue;
      this.observedSeq.set(o.id, o.seq);
      scope.add(o.id);
      this.inspectedFingerprint.delete(o.id);
      if (o.inspect) this.setInspect(o.inspect);
      else this.forget(o.id, true);
    }
    return scope;
  }

  /** New runtime roles: every container's services are redefined. */
  setRoles(roles: ReadonlyMap<string, RoleBinding>): void {
    this.currentRoles = roles;
    for (const inspect of this.inspects.values()) this.setInspect(inspect);
  }

  /**
   * The inspect held for a listed container whose list entry is unchanged since that inspect's pass; undefined when it
   * must be inspected. A `container:<id>` network mode is always re-inspected: the other container's address can change.
   */
  private heldInspect(summary: ContainerSummary): ContainerInspect | undefined {
    const held = this.inspects.get(summary.id);
    if (!held || summary.fingerprint === undefined || held.networkMode.startsWith('container:')) return undefined;
    return this.inspectedFingerprint.get(summary.id) === summary.fingerprint ? held : undefined;
  }

  private setInspect(inspect: ContainerInspect): void {
    this.inspects.set(inspect.id, inspect);
    const def = defineContainerServices(inspect, this.options.definition, this.currentRoles);
    this.defs.set(inspect.id, def);
    // Each distinct set of warnings is logged once per container, not on every pass.
    const key = def.warnings.map((w) => `${w.source}|${w.message}`).join('\n');
    if (key !== (this.loggedWarnings.get(inspect.id) ?? '')) {
      for (const w of def.warnings) {
        const fields = { container: w.container, containerId: w.containerId.slice(0, 12), label: w.source };
        if (w.severity === 'error') this.options.logger.error(fields, w.message);
        else this.options.logger.warn(fields, w.message);
        this.options.metrics?.warnings.inc();
      }
      this.loggedWarnings.set(inspect.id, key);
    }
  }

  private forget(id: string, observedGone = false): void {
    this.inspects.delete(id);
    this.inspectedFingerprint.delete(id);
    this.defs.delete(id);
    this.loggedWarnings.delete(id);
    if (!observedGone) this.observedSeq.delete(id);
  }
}
