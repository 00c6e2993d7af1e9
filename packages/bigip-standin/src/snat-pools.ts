// SNAT pools (/mgmt/tm/ltm/snatpool) and the translation addresses they use (/mgmt/tm/ltm/snat-translation).
import { IcrError, mcpd } from './errors';
import { objectsOf } from './ltm-config';
import { hasObject, type ObjectKind } from './ltm-objects';
import { fullPathOf, isIpAddress, parseFullPath } from './names';
import { READ_ONLY_IDENTITY, type Schema } from './payload-validation';

const READ_ONLY = { kind: 'readOnly' } as const;

const SNATPOOL_SCHEMA: Schema = {
  name: { kind: 'string' },
  partition: { kind: 'string' },
  description: { kind: 'string' },
  members: { kind: 'array' },
  ...READ_ONLY_IDENTITY,
  membersReference: READ_ONLY,
};

const TRANSLATION_SCHEMA: Schema = {
  name: { kind: 'string' },
  partition: { kind: 'string' },
  description: { kind: 'string' },
  address: { kind: 'string' },
  arp: { kind: 'enum', values: ['enabled', 'disabled'] },
  connectionLimit: { kind: 'integer', min: 0 },
  enabled: { kind: 'boolean' },
  disabled: { kind: 'boolean' },
  ipIdleTimeout: { kind: 'string' },
  tcpIdleTimeout: { kind: 'string' },
  udpIdleTimeout: { kind: 'string' },
  trafficGroup: { kind: 'string' },
  ...READ_ONLY_IDENTITY,
  inheritedTrafficGroup: READ_ONLY,
  unit: READ_ONLY,
};

/** A translation address as `tmsh create ltm snatpool` leaves it. */
const TRANSLATION_DEFAULTS = {
  arp: 'enabled',
  connectionLimit: 0,
  enabled: true,
  inheritedTrafficGroup: 'true',
  ipIdleTimeout: 'indefinite',
  tcpIdleTimeout: 'indefinite',
  trafficGroup: '/Common/traffic-group-1',
  udpIdleTimeout: 'indefinite',
  unit: 1,
} as const;

export const SNAT_TRANSLATION: ObjectKind = {
  mgmtPath: '/mgmt/tm/ltm/snat-translation',
  item: '/ltm/snat-translation',
  kind: 'tm:ltm:snat-translation:snat-translationstate',
  // (inferred) mcpd's label for translation addresses.
  label: 'SNAT translation address',
  schema: TRANSLATION_SCHEMA,
  defaults: TRANSLATION_DEFAULTS,
  normalise(_config, ref, attributes) {
    const address = typeof attributes.address === 'string' ? attributes.address : ref.name;
    if (!isIpAddress(address)) throw mcpd.invalidAddress(address);
    const { disabled, ...rest } = attributes;
    return { ...rest, address, enabled: disabled === true ? false : rest.enabled !== false };
  },
  render(_config, record) {
    const { enabled, ...rest } = record.attributes;
    return { ...rest, ...(enabled === false ? { disabled: true } : { enabled: true }) };
  },
  beforeDelete(config, record) {
    const fullPath = fullPathOf(record);
    for (const pool of objectsOf(config, SNATPOOL.mgmtPath).values()) {
      if ((pool.attributes.members as string[]).includes(fullPath)) {
        // (inferred) mcpd's text for a translation still in a SNAT pool.
        throw new IcrError(400, `01070523:3: SNAT translation address ${fullPath} is in use by SNAT pool ${fullPathOf(pool)}.`);
      }
    }
  },
};

/** "10.2.0.1", "/Common/10.2.0.1" or a translation's name, as the full path of a translation. */
function memberPath(partition: string, member: unknown): string {
  if (typeof member !== 'string' || member === '') throw new IcrError(400, `01070734:3: Configuration error: invalid SNAT pool member ${JSON.stringify(member)}.`);
  return fullPathOf(parseFullPath(member, partition));
}

export const SNATPOOL: ObjectKind = {
  mgmtPath: '/mgmt/tm/ltm/snatpool',
  item: '/ltm/snatpool',
  kind: 'tm:ltm:snatpool:snatpoolstate',
  // (inferred) mcpd's label for SNAT pools.
  label: 'SNAT Pool',
  schema: SNATPOOL_SCHEMA,
  defaults: {},
  normalise(config, ref, attributes) {
    const given = attributes.members;
    if (!Array.isArray(given) || given.length === 0) {
      // (inferred) a SNAT pool needs at least one member.
      throw new IcrError(400, `01070734:3: Configuration error: SNAT pool ${fullPathOf(ref)} must have at least one member.`);
    }
    // BIG-IP keeps members as a sorted set of translation full paths.
    const members = [...new Set(given.map((member) => memberPath(ref.partition, member)))].sort();
    for (const member of members) {
      const translation = parseFullPath(member, ref.partition);
      if (!hasObject(config, SNAT_TRANSLATION, member) && !isIpAddress(translation.name)) throw mcpd.invalidAddress(translation.name);
    }
    return { ...attributes, members };
  },
  afterWrite(config, record) {
    // A member address that is not yet a translation address becomes one, as tmsh does.
    const translations = objectsOf(config, SNAT_TRANSLATION.mgmtPath);
    for (const member of record.attributes.members as string[]) {
      if (translations.has(member)) continue;
      const ref = parseFullPath(member, record.partition);
      translations.set(member, { ...ref, attributes: { ...TRANSLATION_DEFAULTS, address: ref.name }, generation: record.generation });
    }
  },
  beforeDelete(config, record) {
    const fullPath = fullPathOf(record);
    for (const virtual of objectsOf(config, '/mgmt/tm/ltm/virtual').values()) {
      const translation = virtual.attributes.sourceAddressTranslation as { pool?: string } | undefined;
      if (translation?.pool === fullPath) {
        // (inferred) mcpd's text for a SNAT pool still used by a virtual server.
        throw new IcrError(400, `01070265:3: The SNAT Pool (${fullPath}) cannot be deleted because it is in use by a Virtual Server (${fullPathOf(virtual)}).`);
      }
    }
  },
};
