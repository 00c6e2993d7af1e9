// LTM virtual servers (/mgmt/tm/ltm/virtual): destination, default pool, profiles subcollection, source address translation.
import { selfLink } from './bigip-version';
import { framework, IcrError, mcpd } from './errors';
import { type LtmConfig, type ObjectRecord } from './ltm-config';
import { hasObject, type ObjectKind } from './ltm-objects';
import { fullPathOf, isIpAddress, parseFullPath, urlSegmentOf, type ObjectRef } from './names';
import { READ_ONLY_IDENTITY, type Schema } from './payload-validation';
import { profileType } from './profiles';
import { SNATPOOL } from './snat-pools';

const ITEM = '/ltm/virtual';
const READ_ONLY = { kind: 'readOnly' } as const;
const STRING = { kind: 'string' } as const;
const ENABLED_DISABLED = { kind: 'enum', values: ['enabled', 'disabled'] } as const;
const BOOLEAN = { kind: 'boolean' } as const;

const VIRTUAL_SCHEMA: Schema = {
  name: STRING,
  partition: STRING,
  description: STRING,
  destination: STRING,
  source: STRING,
  mask: STRING,
  pool: STRING,
  ipProtocol: { kind: 'stringOrInteger' },
  profiles: { kind: 'array' },
  sourceAddressTranslation: { kind: 'object' },
  enabled: BOOLEAN,
  disabled: BOOLEAN,
  translateAddress: ENABLED_DISABLED,
  translatePort: ENABLED_DISABLED,
  sourcePort: { kind: 'enum', values: ['preserve', 'preserve-strict', 'change'] },
  mirror: ENABLED_DISABLED,
  connectionLimit: { kind: 'integer', min: 0 },
  rateLimit: { kind: 'pattern', pattern: /^(disabled|\d+)$/, expected: '"disabled" or a number as a string' },
  rateLimitMode: { kind: 'enum', values: ['object', 'object-source', 'object-destination', 'object-source-destination', 'destination', 'source', 'source-destination'] },
  rateLimitDstMask: { kind: 'integer', min: 0, max: 128 },
  rateLimitSrcMask: { kind: 'integer', min: 0, max: 128 },
  serviceDownImmediateAction: { kind: 'enum', values: ['none', 'reset', 'drop'] },
  autoLasthop: { kind: 'enum', values: ['default', 'enabled', 'disabled'] },
  vlans: { kind: 'array' },
  vlansEnabled: BOOLEAN,
  vlansDisabled: BOOLEAN,
  rules: { kind: 'array' },
  persist: { kind: 'array' },
  fallbackPersistence: STRING,
  metadata: { kind: 'array' },
  ...READ_ONLY_IDENTITY,
  profilesReference: READ_ONLY,
  policiesReference: READ_ONLY,
  poolReference: READ_ONLY,
  vsIndex: READ_ONLY,
  creationTime: READ_ONLY,
  lastModifiedTime: READ_ONLY,
};

/** What a virtual server created with only a destination reads back as on 15.1. */
const VIRTUAL_DEFAULTS = {
  addressStatus: 'yes',
  autoLasthop: 'default',
  cmpEnabled: 'yes',
  connectionLimit: 0,
  enabled: true,
  evictionProtected: 'no',
  gtmScore: 0,
  ipProtocol: 'tcp',
  mask: '255.255.255.255',
  mirror: 'disabled',
  mobileAppTunnel: 'disabled',
  nat64: 'disabled',
  rateLimit: 'disabled',
  rateLimitDstMask: 0,
  rateLimitMode: 'object',
  rateLimitSrcMask: 0,
  serversslUseSni: 'disabled',
  serviceDownImmediateAction: 'none',
  source: '0.0.0.0/0',
  sourceAddressTranslation: { type: 'none' },
  sourcePort: 'preserve',
  synCookieStatus: 'not-activated',
  translateAddress: 'enabled',
  translatePort: 'enabled',
  vlansDisabled: true,
} as const;

const IP_PROTOCOLS: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 47: 'gre', 50: 'esp', 51: 'ah', 58: 'ipv6-icmp', 132: 'sctp' };

export interface VirtualProfile {
  name: string;
  partition: string;
  context: 'all' | 'clientside' | 'serverside';
}

export interface SourceAddressTranslation {
  type: 'none' | 'automap' | 'snat';
  pool?: string;
}

function ipProtocolName(value: unknown): string {
  if (typeof value === 'number' && IP_PROTOCOLS[value]) return IP_PROTOCOLS[value]!;
  if (typeof value === 'string' && (value === 'any' || Object.values(IP_PROTOCOLS).includes(value))) return value;
  throw framework.invalidValue(ITEM, 'ipProtocol', value, `a protocol name (${Object.values(IP_PROTOCOLS).join(', ')}, any) or number`);
}

/** "10.3.0.10:443" or "/Common/10.3.0.10:443" (IPv6 "addr.port") -> "/<partition>/addr:port". */
function canonicalDestination(partition: string, value: string): string {
  const ref = parseFullPath(value, partition);
  const ipv6 = (ref.name.match(/:/g) ?? []).length > 1;
  const separator = ipv6 ? ref.name.lastIndexOf('.') : ref.name.lastIndexOf(':');
  const address = separator > 0 ? ref.name.slice(0, separator) : '';
  const port = separator > 0 ? ref.name.slice(separator + 1) : '';
  if (!isIpAddress(address) || !/^(\d{1,5}|any)$/.test(port) || Number(port) > 65535) {
    throw framework.invalidValue(ITEM, 'destination', value, '"<address>:<port>" (IPv6 "<address>.<port>")');
  }
  return fullPathOf(ref);
}

function referencePath(partition: string, value: string): string {
  return fullPathOf(parseFullPath(value, partition));
}

/** Profile names resolve in /Common, where the built-ins live (the stand-in has no user profiles). */
function parseProfiles(given: unknown[]): VirtualProfile[] {
  const profiles: VirtualProfile[] = [];
  for (const entry of given) {
    const fields = typeof entry === 'string' ? { name: entry } : (entry as Record<string, unknown>);
    if (typeof fields !== 'object' || fields === null || typeof fields.name !== 'string') {
      throw framework.invalidValue(`${ITEM}/profiles`, 'name', entry, 'a profile name');
    }
    const context = fields.context ?? 'all';
    if (context !== 'all' && context !== 'clientside' && context !== 'serverside') {
      throw framework.invalidValue(`${ITEM}/profiles`, 'context', context, 'one of all, clientside, serverside');
    }
    const ref = parseFullPath(fields.name, typeof fields.partition === 'string' ? fields.partition : 'Common');
    if (profileType(fullPathOf(ref)) === undefined) {
      // (inferred) mcpd's label for a missing profile.
      throw new IcrError(400, `01020036:3: The requested profile (${fullPathOf(ref)}) was not found.`);
    }
    if (profiles.some((profile) => profile.name === ref.name && profile.partition === ref.partition)) continue;
    profiles.push({ ...ref, context });
  }
  return profiles;
}

function parseTranslation(config: LtmConfig, partition: string, value: Record<string, unknown>): SourceAddressTranslation {
  const type = value.type ?? (value.pool !== undefined ? 'snat' : 'none');
  if (type !== 'none' && type !== 'automap' && type !== 'snat') {
    throw framework.invalidValue(`${ITEM}/sourceAddressTranslation`, 'type', type, 'one of none, automap, snat');
  }
  if (type !== 'snat') return { type };
  if (typeof value.pool !== 'string' || value.pool === '') throw framework.missingProperty(`${ITEM}/sourceAddressTranslation`, 'pool');
  const pool = referencePath(partition, value.pool);
  // (inferred) label, as for SNAT pool lookups.
  if (!hasObject(config, SNATPOOL, pool)) throw new IcrError(400, `01020036:3: The requested SNAT Pool (${pool}) was not found.`);
  return { type, pool };
}

export const VIRTUAL_SERVER: ObjectKind = {
  mgmtPath: '/mgmt/tm/ltm/virtual',
  item: ITEM,
  kind: 'tm:ltm:virtual:virtualstate',
  label: 'Virtual Server',
  schema: VIRTUAL_SCHEMA,
  defaults: VIRTUAL_DEFAULTS,
  normalise(config, ref, attributes, previous) {
    const result: Record<string, unknown> = { ...attributes };
    if (typeof result.destination !== 'string') throw framework.missingProperty(ITEM, 'destination');
    result.destination = canonicalDestination(ref.partition, result.destination);
    result.ipProtocol = ipProtocolName(result.ipProtocol);
    if (typeof result.pool === 'string' && result.pool !== '' && result.pool !== 'none') {
      result.pool = referencePath(ref.partition, result.pool);
      if (!config.pools.has(result.pool as string)) throw mcpd.poolNotFound(result.pool as string);
    } else {
      delete result.pool;
    }
    result.sourceAddressTranslation = parseTranslation(config, ref.partition, result.sourceAddressTranslation as Record<string, unknown>);
    const given = attributes.profiles;
    result.profiles = Array.isArray(given) && given.length > 0
      ? parseProfiles(given)
      : ((previous?.attributes.profiles as VirtualProfile[] | undefined) ?? parseProfiles([result.ipProtocol === 'udp' ? 'udp' : 'tcp']));
    // enabled/disabled are one switch shown as whichever key is true.
    if (attributes.disabled === true) result.enabled = false;
    else if (attributes.enabled === false) result.enabled = false;
    else if (attributes.enabled === true || attributes.disabled === false) result.enabled = true;
    delete result.disabled;
    if (result.vlansEnabled === true) result.vlansDisabled = false;
    delete result.vlansEnabled;
    return result;
  },
  render(_config, record, expand) {
    const { profiles, enabled, pool, sourceAddressTranslation, vlansDisabled, ...attributes } = record.attributes;
    const translation = sourceAddressTranslation as SourceAddressTranslation;
    const base = `/mgmt/tm/ltm/virtual/${urlSegmentOf(record)}`;
    const profileItems = (profiles as VirtualProfile[]).map((profile) => renderVirtualProfile(record, profile));
    return {
      ...attributes,
      ...(enabled === false ? { disabled: true } : { enabled: true }),
      ...(typeof pool === 'string' ? { pool, poolReference: { link: selfLink(`/mgmt/tm/ltm/pool/${poolSegment(pool)}`) } } : {}),
      sourceAddressTranslation: translation.type === 'snat'
        ? { type: 'snat', pool: translation.pool, poolReference: { link: selfLink(`/mgmt/tm/ltm/snatpool/${poolSegment(translation.pool!)}`) } }
        : { type: translation.type },
      ...(vlansDisabled === false ? { vlansEnabled: true } : { vlansDisabled: true }),
      policiesReference: { link: selfLink(`${base}/policies`), isSubcollection: true },
      profilesReference: { link: selfLink(`${base}/profiles`), isSubcollection: true, ...(expand ? { items: profileItems } : {}) },
    };
  },
};

function poolSegment(fullPath: string): string {
  return fullPath.replace(/\//g, '~');
}

export function renderVirtualProfile(virtual: ObjectRecord, profile: VirtualProfile): Record<string, unknown> {
  const segment = urlSegmentOf(profile);
  return {
    kind: 'tm:ltm:virtual:profiles:profilesstate',
    name: profile.name,
    partition: profile.partition,
    fullPath: `/${profile.partition}/${profile.name}`,
    generation: virtual.generation,
    selfLink: selfLink(`/mgmt/tm/ltm/virtual/${urlSegmentOf(virtual)}/profiles/${segment}`),
    context: profile.context,
    nameReference: { link: selfLink(`/mgmt/tm/ltm/profile/${profileType(`/${profile.partition}/${profile.name}`) ?? 'tcp'}/${segment}`) },
  };
}

/** `01070265`: a pool that a virtual server uses as its default pool cannot be deleted. */
export function checkPoolUnused(config: LtmConfig, pool: ObjectRef): void {
  const fullPath = fullPathOf(pool);
  for (const virtual of config.objects.get(VIRTUAL_SERVER.mgmtPath)?.values() ?? []) {
    if (virtual.attributes.pool === fullPath) {
      throw new IcrError(400, `01070265:3: The Pool (${fullPath}) cannot be deleted because it is in use by a Virtual Server (${fullPathOf(virtual)}).`);
    }
  }
}
