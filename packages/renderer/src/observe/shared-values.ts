// Equal values held once: an answer equal to the last comes back as the last one's objects, an instance unchanged
// since the last answer as the same object, and the fields every instance of a node repeats as one copy per node.
// A renderer watching 1,000 services x 10 instances on 10 nodes otherwise holds each node's fields 10,000 times, a
// second copy of every answer a watcher found unchanged (its loop keeps the last result), and empty maps by the
// ten thousand. Templates only read these values, so sharing them changes no render.

import { sameJsonValue, type BlockingQuery } from '@consul-sidecars/core';
import type { ServiceInstance } from './consul-data';

const EMPTY: Readonly<Record<string, never>> = Object.freeze({});

/** Strings of a flat string map, equal keys and values in the same order. */
function sameStringMap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a[k] === b[k]);
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((v, i) => v === b[i]));
}

/** A map with no key, as the one shared empty object. */
export function sharedIfEmpty<T extends object>(value: T): T {
  return Object.keys(value).length === 0 ? (EMPTY as T) : value;
}

interface NodeFields {
  NodeID?: string;
  NodeAddress: string;
  NodeTaggedAddresses?: Record<string, string>;
  NodeMeta: Record<string, string>;
}

/** Nodes remembered at most (a cluster has far fewer); past it the table starts again, it only shares. */
const MAX_NODES = 10_000;

/** The fields of each node as the first instance of it brought them; later equal ones share those objects. */
export class NodeFieldTable {
  private readonly nodes = new Map<string, NodeFields>();

  /** `view`'s node fields replaced by the remembered node's when equal (else remembered as the node's now). */
  share(view: ServiceInstance): void {
    const known = this.nodes.get(view.Node);
    if (known && known.NodeID === view.NodeID && known.NodeAddress === view.NodeAddress
      && sameStringMap(known.NodeTaggedAddresses, view.NodeTaggedAddresses) && sameStringMap(known.NodeMeta, view.NodeMeta)) {
      view.NodeID = known.NodeID;
      view.NodeAddress = known.NodeAddress;
      view.NodeTaggedAddresses = known.NodeTaggedAddresses;
      view.NodeMeta = known.NodeMeta;
      return;
    }
    if (this.nodes.size >= MAX_NODES) this.nodes.clear();
    view.NodeMeta = sharedIfEmpty(view.NodeMeta);
    if (view.NodeTaggedAddresses) view.NodeTaggedAddresses = sharedIfEmpty(view.NodeTaggedAddresses);
    this.nodes.set(view.Node, { NodeID: view.NodeID, NodeAddress: view.NodeAddress, NodeTaggedAddresses: view.NodeTaggedAddresses, NodeMeta: view.NodeMeta });
  }
}

/** One table for the process: nodes are the cluster's, whichever service or template reads them. */
export const nodeFields = new NodeFieldTable();

/**
 * Within one instance: the service's name, ID, node and tags held once, its checks pointing at them; empty maps and
 * the default weights as shared objects; the node's fields as the node table has them.
 */
export function shareInstanceFields(view: ServiceInstance, name: string, previousTags?: readonly string[]): void {
  if (view.Name === name) view.Name = name;
  if (previousTags && sameStrings(previousTags, view.Tags)) view.Tags = previousTags as string[];
  view.Meta = sharedIfEmpty(view.Meta);
  if (view.TaggedAddresses) view.TaggedAddresses = sharedIfEmpty(view.TaggedAddresses);
  if (view.Weights.Passing === 1 && view.Weights.Warning === 1) view.Weights = DEFAULT_WEIGHTS;
  for (const check of view.Checks) {
    if (check.ServiceName === view.Name) check.ServiceName = view.Name;
    if (check.ServiceID === view.ID) check.ServiceID = view.ID;
    if (check.Node === view.Node) check.Node = view.Node;
    if (check.ServiceTags && sameStrings(check.ServiceTags, view.Tags)) check.ServiceTags = view.Tags;
  }
  nodeFields.share(view);
}

const DEFAULT_WEIGHTS = Object.freeze({ Passing: 1, Warning: 1 }) as ServiceInstance['Weights'];

/** Who an element of an answer is, across answers: the fields that name it (instances: node and ID). */
function identity(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const parts = [v.Node, v.ID, v.Key, v.Name].map((p) => (typeof p === 'string' ? p : ''));
  return parts.some((p) => p !== '') ? parts.join('\u0000') : undefined;
}

/**
 * `next` with what it shares with `previous` as `previous`'s objects: the whole of `previous` when they are equal,
 * else a list whose unchanged elements are `previous`'s (matched by identity, then by position).
 */
export function shareWithPrevious<T>(previous: T, next: T): T {
  if (previous === next) return next;
  if (!Array.isArray(previous) || !Array.isArray(next)) return sameJsonValue(previous, next) ? previous : next;
  let byIdentity: Map<string, unknown> | undefined;
  let allShared = previous.length === next.length;
  const out = next.map((element: unknown, i: number) => {
    if (i < previous.length && sameJsonValue(previous[i], element)) return previous[i] as unknown;
    allShared = false;
    const id = identity(element);
    if (id === undefined) return element;
    if (!byIdentity) {
      byIdentity = new Map();
      for (const old of previous as unknown[]) {
        const oldId = identity(old);
        if (oldId !== undefined) byIdentity.set(oldId, old);
      }
    }
    const old = byIdentity.get(id);
    return old !== undefined && sameJsonValue(old, element) ? old : element;
  });
  return (allShared ? previous : out) as T;
}

/** `query` whose answers share what they can with its previous answer (see shareWithPrevious). */
export function sharingAnswers<T>(query: BlockingQuery<T>): BlockingQuery<T> {
  let previous: { data: T } | undefined;
  return async (params) => {
    const result = await query(params);
    const data = previous ? shareWithPrevious(previous.data, result.data) : result.data;
    previous = { data };
    return data === result.data ? result : { ...result, data };
  };
}
