// LTM nodes (/mgmt/tm/ltm/node): made automatically for members, deleted only when no member uses them.
import { selfLink } from './bigip-version';
import { framework, mcpd } from './errors';
import { userMonitorExists, checkIdentity, nodeAddressKey, checkObjectName, nextGeneration, NODE_DEFAULTS, requirePartition, type LtmConfig, type NodeAttributes, type NodeRecord } from './ltm-config';
import { canonicalMonitorRule, monitorRuleAsRead } from './monitor-rules';
import { DEFAULT_PARTITION, fullPathOf, isIpAddress, urlSegmentOf, type ObjectRef } from './names';
import { NODE_SCHEMA, validateFields } from './payload-validation';

export const NODE_ITEM = '/ltm/node';

type NodeInput = Partial<NodeAttributes> & { name?: string; partition?: string; address?: string };

export function nodeReadState(node: NodeRecord): { state: string; session: string } {
  const monitored = node.attributes.monitor !== 'default' && node.attributes.monitor !== 'none';
  return {
    state: node.attributes.state === 'user-down' ? 'user-down' : monitored ? 'up' : 'unchecked',
    session: node.attributes.session === 'user-disabled' ? 'user-disabled' : monitored ? 'monitor-enabled' : 'user-enabled',
  };
}

export function renderNode(node: NodeRecord): Record<string, unknown> {
  const { description, monitor, state: _state, session: _session, ...attributes } = node.attributes;
  return {
    kind: 'tm:ltm:node:nodestate',
    name: node.name,
    partition: node.partition,
    fullPath: fullPathOf(node),
    generation: node.generation,
    selfLink: selfLink(`/mgmt/tm/ltm/node/${urlSegmentOf(node)}`),
    address: node.address,
    ...(description === undefined ? {} : { description }),
    ephemeral: 'false',
    ...attributes,
    monitor: monitor === 'default' || monitor === 'none' ? monitor : monitorRuleAsRead(monitor),
    ...nodeReadState(node),
  };
}

export function findNode(config: LtmConfig, ref: ObjectRef): NodeRecord {
  const node = config.nodes.get(fullPathOf(ref));
  if (!node) throw mcpd.nodeNotFound(fullPathOf(ref));
  return node;
}

function normaliseMonitor(config: LtmConfig, monitor: string): string {
  return monitor === 'default' ? 'default' : (canonicalMonitorRule(monitor, userMonitorExists(config)) ?? 'none');
}

function addNode(config: LtmConfig, ref: ObjectRef, address: string, attributes: NodeAttributes): NodeRecord {
  if (!isIpAddress(address)) throw mcpd.invalidAddress(address);
  const sameAddress = config.nodeAddresses.get(nodeAddressKey(ref.partition, address));
  if (sameAddress !== undefined) throw mcpd.nodeAddressInUse(address, sameAddress);
  const node: NodeRecord = { ...ref, address, attributes, generation: nextGeneration(config) };
  config.nodes.set(fullPathOf(ref), node);
  config.nodeAddresses.set(nodeAddressKey(ref.partition, address), fullPathOf(ref));
  return node;
}

/**
 * The node a member "host:port" stands on: an existing node named `host`, or a new one named by
 * the address. A member named by node name ("web1:80") needs that node or an explicit address.
 */
export function ensureNodeForMember(config: LtmConfig, partition: string, host: string, explicitAddress: string | undefined): NodeRecord {
  const ref = { partition, name: host };
  const existing = config.nodes.get(fullPathOf(ref));
  if (existing) {
    if (explicitAddress !== undefined && explicitAddress !== existing.address) throw mcpd.invalidAddress(explicitAddress);
    return existing;
  }
  const hostIsAddress = isIpAddress(host) !== 0;
  if (hostIsAddress && explicitAddress !== undefined && explicitAddress !== host) throw mcpd.invalidAddress(explicitAddress);
  const address = hostIsAddress ? host : explicitAddress;
  if (address === undefined) throw mcpd.nodeNotFound(fullPathOf(ref));
  return addNode(config, ref, address, { ...NODE_DEFAULTS });
}

export function createNode(config: LtmConfig, body: unknown): NodeRecord {
  const fields = validateFields<NodeInput>(NODE_ITEM, body, NODE_SCHEMA);
  if (fields.name === undefined) throw framework.missingProperty(NODE_ITEM, 'name');
  checkObjectName(NODE_ITEM, fields.name);
  const ref = { partition: fields.partition ?? DEFAULT_PARTITION, name: fields.name };
  requirePartition(config, ref.partition);
  if (config.nodes.has(fullPathOf(ref))) throw mcpd.nodeExists(fullPathOf(ref), ref.partition);
  const address = fields.address ?? (isIpAddress(fields.name) ? fields.name : undefined);
  if (address === undefined) throw framework.missingProperty(NODE_ITEM, 'address');
  const { name: _name, partition: _partition, address: _address, ...attributes } = fields;
  const merged = { ...NODE_DEFAULTS, ...attributes };
  return addNode(config, ref, address, { ...merged, monitor: normaliseMonitor(config, merged.monitor) });
}

export function updateNode(config: LtmConfig, ref: ObjectRef, body: unknown, mode: 'patch' | 'put'): NodeRecord {
  const node = findNode(config, ref);
  const fields = validateFields<NodeInput>(NODE_ITEM, body, NODE_SCHEMA);
  checkIdentity(NODE_ITEM, node, fields);
  if (fields.address !== undefined && fields.address !== node.address) throw mcpd.invalidAddress(fields.address);
  const { name: _name, partition: _partition, address: _address, ...attributes } = fields;
  if (Object.keys(fields).length === 0) throw framework.noProperties();
  const merged = { ...(mode === 'put' ? NODE_DEFAULTS : node.attributes), ...attributes };
  node.attributes = { ...merged, monitor: normaliseMonitor(config, merged.monitor) };
  node.generation = nextGeneration(config);
  return node;
}

export function deleteNode(config: LtmConfig, ref: ObjectRef): void {
  const node = findNode(config, ref);
  const fullPath = fullPathOf(node);
  for (const pool of config.pools.values()) {
    if (pool.members.some((member) => member.partition === node.partition && member.nodeName === node.name)) {
      throw mcpd.nodeReferenced(fullPath, fullPathOf(pool));
    }
  }
  config.nodes.delete(fullPath);
  config.nodeAddresses.delete(nodeAddressKey(node.partition, node.address));
  nextGeneration(config);
}
