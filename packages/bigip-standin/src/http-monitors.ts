// LTM HTTP monitors (/mgmt/tm/ltm/monitor/http): the built-in /Common/http and /Common/http_head_f5, and user monitors.
import { IcrError, mcpd } from './errors';
import { fullPathOf } from './names';
import { builtin, hasObject, type ObjectKind } from './ltm-objects';
import { READ_ONLY_IDENTITY, type Schema } from './payload-validation';

const ENABLED_DISABLED = { kind: 'enum', values: ['enabled', 'disabled'] } as const;

const HTTP_MONITOR_SCHEMA: Schema = {
  name: { kind: 'string' },
  partition: { kind: 'string' },
  description: { kind: 'string' },
  defaultsFrom: { kind: 'string' },
  adaptive: ENABLED_DISABLED,
  adaptiveDivergenceType: { kind: 'enum', values: ['relative', 'absolute'] },
  adaptiveDivergenceValue: { kind: 'integer', min: 1 },
  adaptiveLimit: { kind: 'integer', min: 1 },
  adaptiveSamplingTimespan: { kind: 'integer', min: 1 },
  destination: { kind: 'pattern', pattern: /^(\*|[0-9A-Fa-f.:%]+)[:.](\*|\d{1,5})$/, expected: '"<address>:<port>", "*:*" or "<ipv6>.<port>"' },
  interval: { kind: 'integer', min: 1, max: 86400 },
  ipDscp: { kind: 'integer', min: 0, max: 63 },
  manualResume: ENABLED_DISABLED,
  password: { kind: 'string' },
  recv: { kind: 'string' },
  recvDisable: { kind: 'string' },
  reverse: ENABLED_DISABLED,
  send: { kind: 'string' },
  timeUntilUp: { kind: 'integer', min: 0, max: 86400 },
  timeout: { kind: 'integer', min: 0, max: 86400 },
  transparent: ENABLED_DISABLED,
  upInterval: { kind: 'integer', min: 0, max: 86400 },
  username: { kind: 'string' },
  ...READ_ONLY_IDENTITY,
};

/** What `GET /mgmt/tm/ltm/monitor/http/~Common~http` shows on a fresh BIG-IP. */
const HTTP_DEFAULTS = {
  adaptive: 'disabled',
  adaptiveDivergenceType: 'relative',
  adaptiveDivergenceValue: 25,
  adaptiveLimit: 200,
  adaptiveSamplingTimespan: 300,
  destination: '*:*',
  interval: 5,
  ipDscp: 0,
  manualResume: 'disabled',
  reverse: 'disabled',
  send: 'GET /\\r\\n',
  timeUntilUp: 0,
  timeout: 16,
  transparent: 'disabled',
  upInterval: 0,
} as const;

export const HTTP_MONITOR: ObjectKind = {
  mgmtPath: '/mgmt/tm/ltm/monitor/http',
  item: '/ltm/monitor/http',
  kind: 'tm:ltm:monitor:http:httpstate',
  // (inferred) mcpd's label for monitors in 01020036 messages.
  label: 'Monitor',
  schema: HTTP_MONITOR_SCHEMA,
  defaults: { ...HTTP_DEFAULTS, defaultsFrom: '/Common/http' },
  builtins: [
    builtin('http', { ...HTTP_DEFAULTS }),
    builtin('http_head_f5', { ...HTTP_DEFAULTS, send: 'HEAD / HTTP/1.0\\r\\n\\r\\n', recv: 'Server\\:' }),
  ],
  normalise(config, _ref, attributes) {
    const parent = String(attributes.defaultsFrom);
    const parentPath = parent.startsWith('/') ? parent : `/Common/${parent}`;
    if (!hasObject(config, HTTP_MONITOR, parentPath)) throw mcpd.monitorNotFound(parentPath);
    return { ...attributes, defaultsFrom: parentPath };
  },
  beforeDelete(config, record) {
    const fullPath = `/${record.partition}/${record.name}`;
    const uses = (rule: string | undefined) => rule !== undefined && rule.split(/[\s{}]+/).includes(fullPath);
    for (const pool of config.pools.values()) {
      if (uses(pool.attributes.monitor) || pool.members.some((member) => uses(member.attributes.monitor))) {
        // (inferred) mcpd's text for a monitor still in use.
        throw new IcrError(400, `01070083:3: Monitor ${fullPath} is in use by pool ${fullPathOf(pool)}.`);
      }
    }
  },
  render(_config, record) {
    // (inferred) BIG-IP shows a stored password only in encrypted form; the stand-in leaves it out.
    const { password: _password, ...shown } = record.attributes;
    return shown;
  },
};
