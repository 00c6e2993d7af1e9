// Administrative partitions (/mgmt/tm/auth/partition) and their folders (/mgmt/tm/sys/folder/~name).
import { selfLink } from './bigip-version';
import { framework, IcrError, mcpd, rest } from './errors';
import { checkObjectName, nextGeneration, type LtmConfig, type PartitionRecord } from './ltm-config';
import type { LtmReply } from './ltm-routes';
import { READ_ONLY_IDENTITY, validateFields, type Schema } from './payload-validation';

const ITEM = '/auth/partition';
const PARTITION_SCHEMA: Schema = {
  name: { kind: 'string' },
  description: { kind: 'string' },
  defaultRouteDomain: { kind: 'integer', min: 0, max: 65534 },
  ...READ_ONLY_IDENTITY,
};
const FOLDER_SCHEMA: Schema = {
  description: { kind: 'string' },
  name: { kind: 'readOnly' },
  ...READ_ONLY_IDENTITY,
};

export function renderPartition(partition: PartitionRecord): Record<string, unknown> {
  return {
    kind: 'tm:auth:partition:partitionstate',
    name: partition.name,
    fullPath: partition.name,
    generation: partition.generation,
    selfLink: selfLink(`/mgmt/tm/auth/partition/${partition.name}`),
    defaultRouteDomain: partition.defaultRouteDomain,
    ...(partition.description === undefined ? {} : { description: partition.description }),
  };
}

export function folderBody(partition: PartitionRecord): Record<string, unknown> {
  return {
    kind: 'tm:sys:folder:folderstate',
    name: partition.name,
    subPath: '/',
    fullPath: `/${partition.name}`,
    generation: partition.generation,
    selfLink: selfLink(`/mgmt/tm/sys/folder/~${partition.name}`),
    deviceGroup: 'none',
    hidden: 'false',
    inheritedDevicegroup: 'true',
    inheritedTrafficGroup: 'true',
    noRefCheck: 'false',
    trafficGroup: '/Common/traffic-group-1',
    ...(partition.folderDescription === undefined ? {} : { description: partition.folderDescription }),
  };
}

function find(config: LtmConfig, name: string): PartitionRecord {
  const partition = config.partitions.get(name);
  if (!partition) throw mcpd.partitionNotFound(name);
  return partition;
}

export function updateFolder(config: LtmConfig, name: string, body: unknown): PartitionRecord {
  const partition = config.partitions.get(name);
  if (!partition) throw mcpd.folderNotFound(`/${name}`);
  const fields = validateFields<{ description: string }>('/sys/folder', body, FOLDER_SCHEMA);
  if (fields.description === undefined) throw framework.noProperties();
  partition.folderDescription = fields.description;
  partition.generation = nextGeneration(config);
  return partition;
}

/** What lives in a partition; mcpd refuses to remove a partition that still holds objects. */
function firstObjectIn(config: LtmConfig, name: string): string | undefined {
  const inside = (fullPath: string) => fullPath.startsWith(`/${name}/`);
  if ([...config.pools.keys()].some(inside)) return 'ltm pool';
  if ([...config.nodes.keys()].some(inside)) return 'ltm node';
  for (const [kind, records] of config.objects) if ([...records.keys()].some(inside)) return kind.replace('/mgmt/tm/', '').replace(/\//g, ' ');
  return undefined;
}

/** /mgmt/tm/auth/partition[/name]: list, create, read, PATCH, delete (when empty; never Common). */
export function partitionRoute(config: LtmConfig, method: string, path: string, body: unknown): LtmReply {
  const name = path.replace(/^\/mgmt\/tm\/auth\/partition\/?/, '');
  if (name === '') {
    if (method === 'GET') {
      const items = [...config.partitions.values()].map(renderPartition);
      return { status: 200, body: { kind: 'tm:auth:partition:partitioncollectionstate', selfLink: selfLink('/mgmt/tm/auth/partition'), items } };
    }
    if (method !== 'POST') throw rest.methodNotAllowed(method, path, ['GET', 'POST']);
    const fields = validateFields<{ name: string; description: string; defaultRouteDomain: number }>(ITEM, body, PARTITION_SCHEMA);
    if (fields.name === undefined) throw framework.missingProperty(ITEM, 'name');
    checkObjectName(ITEM, fields.name);
    if (config.partitions.has(fields.name)) throw mcpd.partitionExists(fields.name);
    const record: PartitionRecord = {
      name: fields.name,
      defaultRouteDomain: fields.defaultRouteDomain ?? 0,
      generation: nextGeneration(config),
      ...(fields.description === undefined ? {} : { description: fields.description }),
    };
    config.partitions.set(record.name, record);
    return { status: 200, body: renderPartition(record) };
  }
  if (name.includes('/')) throw rest.uriNotRegistered(path);
  if (method === 'GET') return { status: 200, body: renderPartition(find(config, name)) };
  if (method === 'PATCH' || method === 'PUT') {
    const partition = find(config, name);
    const fields = validateFields<{ name: string; description: string; defaultRouteDomain: number }>(ITEM, body, PARTITION_SCHEMA);
    if (fields.name !== undefined && fields.name !== name) throw framework.nameMismatch(ITEM, name, fields.name);
    const { name: _name, ...changes } = fields;
    if (Object.keys(changes).length === 0) throw framework.noProperties();
    if (method === 'PUT') {
      delete partition.description;
      partition.defaultRouteDomain = 0;
    }
    if (changes.description !== undefined) partition.description = changes.description;
    if (changes.defaultRouteDomain !== undefined) partition.defaultRouteDomain = changes.defaultRouteDomain;
    partition.generation = nextGeneration(config);
    return { status: 200, body: renderPartition(partition) };
  }
  if (method === 'DELETE') {
    find(config, name);
    // (inferred) text: Common and its objects are the system's own.
    if (name === 'Common') throw new IcrError(400, '01070829:3: The Common partition cannot be deleted.');
    const object = firstObjectIn(config, name);
    if (object) throw mcpd.partitionNotEmpty(name, object);
    config.partitions.delete(name);
    nextGeneration(config);
    return { status: 200, body: undefined };
  }
  throw rest.methodNotAllowed(method, path, ['GET', 'PATCH', 'PUT', 'DELETE']);
}
