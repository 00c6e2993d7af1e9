// Validates iControl JSON bodies against a per-object field list: unknown properties and wrong types are 400s.
import { framework } from './errors';

export type FieldSpec =
  | { kind: 'string' }
  | { kind: 'integer'; min: number; max?: number }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'pattern'; pattern: RegExp; expected: string }
  | { kind: 'object' }
  | { kind: 'array' }
  | { kind: 'boolean' }
  /** A string or an integer (e.g. ipProtocol "tcp" or 6); the object's own rules check the value. */
  | { kind: 'stringOrInteger' }
  /** Read-only properties a GET returned: accepted (clients send objects back) and ignored. */
  | { kind: 'readOnly' };

export type Schema = Readonly<Record<string, FieldSpec>>;

const HTML_TAG = /<[^>]*>/;

export function requireObjectBody(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw framework.invalidJson();
  return body as Record<string, unknown>;
}

/**
 * Checks every property of `body` against `schema` and returns the writable ones.
 * `item` is the configuration item named in error messages, e.g. "/ltm/pool".
 */
export function validateFields<T>(item: string, body: unknown, schema: Schema): Partial<T> {
  const fields = requireObjectBody(body);
  const writable: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    const spec = schema[key];
    if (!spec) throw framework.unexpectedProperty(item, key, value);
    if (spec.kind === 'readOnly') continue;
    checkValue(item, key, value, spec);
    writable[key] = value;
  }
  return writable as Partial<T>;
}

function checkValue(item: string, key: string, value: unknown, spec: FieldSpec): void {
  switch (spec.kind) {
    case 'string':
      if (typeof value !== 'string') throw framework.invalidValue(item, key, value, 'a string');
      if (HTML_TAG.test(value)) throw framework.htmlContent();
      return;
    case 'integer': {
      const inRange = typeof value === 'number' && Number.isInteger(value) && value >= spec.min && (spec.max === undefined || value <= spec.max);
      if (!inRange) throw framework.invalidValue(item, key, value, `an integer from ${spec.min}${spec.max === undefined ? '' : ` to ${spec.max}`}`);
      return;
    }
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value)) throw framework.invalidValue(item, key, value, `one of ${spec.values.join(', ')}`);
      return;
    case 'pattern':
      if (typeof value !== 'string' || !spec.pattern.test(value)) throw framework.invalidValue(item, key, value, spec.expected);
      return;
    case 'object':
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw framework.invalidValue(item, key, value, 'an object');
      return;
    case 'array':
      if (!Array.isArray(value)) throw framework.invalidValue(item, key, value, 'an array');
      return;
    case 'boolean':
      if (typeof value !== 'boolean') throw framework.invalidValue(item, key, value, 'true or false');
      return;
    case 'stringOrInteger':
      if (typeof value !== 'string' && !Number.isInteger(value)) throw framework.invalidValue(item, key, value, 'a string or an integer');
      return;
    case 'readOnly':
      return;
  }
}

/** What every GET body carries and a client may send back unchanged: accepted and ignored. */
export const READ_ONLY_IDENTITY: Schema = {
  kind: { kind: 'readOnly' },
  selfLink: { kind: 'readOnly' },
  fullPath: { kind: 'readOnly' },
  generation: { kind: 'readOnly' },
};

const ENABLED_DISABLED = ['enabled', 'disabled'] as const;
const RATE_LIMIT: FieldSpec = { kind: 'pattern', pattern: /^(disabled|\d+)$/, expected: '"disabled" or a number of connections per second as a string' };

export const LOAD_BALANCING_MODES = [
  'round-robin', 'ratio-member', 'ratio-node', 'ratio-session', 'least-connections-member', 'least-connections-node',
  'weighted-least-connections-member', 'weighted-least-connections-node', 'ratio-least-connections-member',
  'ratio-least-connections-node', 'observed-member', 'observed-node', 'predictive-member', 'predictive-node',
  'fastest-node', 'fastest-app-response', 'least-sessions', 'dynamic-ratio-member', 'dynamic-ratio-node',
] as const;

export const POOL_SCHEMA: Schema = {
  name: { kind: 'string' },
  partition: { kind: 'string' },
  description: { kind: 'string' },
  allowNat: { kind: 'enum', values: ['yes', 'no'] },
  allowSnat: { kind: 'enum', values: ['yes', 'no'] },
  ignorePersistedWeight: { kind: 'enum', values: ENABLED_DISABLED },
  ipTosToClient: { kind: 'string' },
  ipTosToServer: { kind: 'string' },
  linkQosToClient: { kind: 'string' },
  linkQosToServer: { kind: 'string' },
  loadBalancingMode: { kind: 'enum', values: LOAD_BALANCING_MODES },
  minActiveMembers: { kind: 'integer', min: 0 },
  minUpMembers: { kind: 'integer', min: 0 },
  minUpMembersAction: { kind: 'enum', values: ['failover', 'reboot', 'restart-all'] },
  minUpMembersChecking: { kind: 'enum', values: ENABLED_DISABLED },
  monitor: { kind: 'string' },
  queueDepthLimit: { kind: 'integer', min: 0 },
  queueOnConnectionLimit: { kind: 'enum', values: ENABLED_DISABLED },
  queueTimeLimit: { kind: 'integer', min: 0 },
  reselectTries: { kind: 'integer', min: 0, max: 65535 },
  serviceDownAction: { kind: 'enum', values: ['none', 'reset', 'drop', 'reselect'] },
  slowRampTime: { kind: 'integer', min: 0 },
  members: { kind: 'array' },
  ...READ_ONLY_IDENTITY,
  membersReference: { kind: 'readOnly' },
};

/** Writes accept only the user-* values; up/down/unchecked and monitor-enabled are read-only results. */
export const WRITABLE_STATES = ['user-up', 'user-down'] as const;
export const WRITABLE_SESSIONS = ['user-enabled', 'user-disabled'] as const;

export const MEMBER_SCHEMA: Schema = {
  name: { kind: 'string' },
  partition: { kind: 'string' },
  address: { kind: 'string' },
  description: { kind: 'string' },
  connectionLimit: { kind: 'integer', min: 0 },
  dynamicRatio: { kind: 'integer', min: 1, max: 65535 },
  fqdn: { kind: 'object' },
  inheritProfile: { kind: 'enum', values: ENABLED_DISABLED },
  logging: { kind: 'enum', values: ENABLED_DISABLED },
  monitor: { kind: 'string' },
  priorityGroup: { kind: 'integer', min: 0, max: 65535 },
  rateLimit: RATE_LIMIT,
  ratio: { kind: 'integer', min: 1, max: 65535 },
  state: { kind: 'enum', values: WRITABLE_STATES },
  session: { kind: 'enum', values: WRITABLE_SESSIONS },
  ...READ_ONLY_IDENTITY,
  ephemeral: { kind: 'readOnly' },
};

export const NODE_SCHEMA: Schema = {
  name: { kind: 'string' },
  partition: { kind: 'string' },
  address: { kind: 'string' },
  description: { kind: 'string' },
  connectionLimit: { kind: 'integer', min: 0 },
  dynamicRatio: { kind: 'integer', min: 1, max: 65535 },
  fqdn: { kind: 'object' },
  logging: { kind: 'enum', values: ENABLED_DISABLED },
  monitor: { kind: 'string' },
  rateLimit: RATE_LIMIT,
  ratio: { kind: 'integer', min: 1, max: 65535 },
  state: { kind: 'enum', values: WRITABLE_STATES },
  session: { kind: 'enum', values: WRITABLE_SESSIONS },
  ...READ_ONLY_IDENTITY,
  ephemeral: { kind: 'readOnly' },
};
