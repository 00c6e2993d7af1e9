// f5-sync's config file schema (JSON Schema, validated by ajv's code generated from it: config-validator.generated.ts).

const durationSchema = { type: ['string', 'number'] } as const;

export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['bigip', 'pools'],
  properties: {
    consul: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { address: { type: 'string' }, retryMax: { ...durationSchema, default: '30s' } },
    },
    bigip: {
      type: 'object',
      additionalProperties: false,
      required: ['url', 'username', 'password'],
      properties: {
        url: { type: 'string', pattern: '^https?://' },
        username: { type: 'string', minLength: 1 },
        password: { type: 'string', minLength: 1 },
        auth: { type: 'string', enum: ['token', 'basic'], default: 'token' },
        loginProvider: { type: 'string', default: 'tmos' },
        caFile: { type: 'string' },
        verifyTls: { type: 'boolean', default: true },
        timeout: { ...durationSchema, default: '30s' },
      },
    },
    partition: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', default: 'Common' },
    pools: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['consulService', 'name'],
        properties: {
          consulService: { type: 'string', minLength: 1 },
          name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
          partition: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
          loadBalancingMode: { type: 'string', default: 'round-robin' },
          monitor: { type: 'string' },
          minActiveMembers: { type: 'integer', minimum: 0, default: 1 },
          tag: { type: 'string' },
          virtual: {
            type: 'object',
            additionalProperties: false,
            required: ['destination'],
            properties: {
              name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
              destination: { type: 'string', pattern: '^(\\d{1,3}(\\.\\d{1,3}){3}(%\\d+)?:\\d{1,5}|[0-9A-Fa-f:]+(%\\d+)?\\.\\d{1,5})$' },
              profiles: { type: 'array', items: { type: 'string', minLength: 1 }, default: ['/Common/tcp'] },
              snat: { type: 'string', pattern: '^[A-Za-z0-9_./-]+$', default: 'none' },
            },
          },
        },
      },
    },
    declarations: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: false },
        poolKey: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', default: 'f5-pool' },
        virtualKey: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', default: 'f5-virtual' },
        loadBalancingMode: { type: 'string', default: 'round-robin' },
        minActiveMembers: { type: 'integer', minimum: 0, default: 1 },
      },
    },
    roleTags: {
      type: 'object',
      additionalProperties: { type: 'integer', minimum: 0, maximum: 65535 },
      default: { master: 10, slave: 9 },
    },
    defaultPriority: { type: 'integer', minimum: 0, default: 0 },
    ratioMetaKey: { type: 'string', default: 'f5-ratio' },
    ownerMark: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', default: 'f5-sync' },
    drainPeriod: { ...durationSchema, default: '30s' },
    debounce: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { min: { ...durationSchema, default: '2s' }, max: { ...durationSchema, default: '20s' } },
    },
    resyncInterval: { ...durationSchema, default: '60s' },
    rateLimit: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { callsPerSecond: { type: 'number', minimum: 0, default: 0 } },
    },
    retry: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        attempts: { type: 'integer', minimum: 1, default: 4 },
        baseDelay: { ...durationSchema, default: '250ms' },
        maxDelay: { ...durationSchema, default: '5s' },
      },
    },
    safety: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { holdWhenEmptyFrom: { type: 'integer', minimum: 0, default: 2 } },
    },
    snat: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        pools: {
          type: 'array',
          default: [],
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name'],
            properties: {
              name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
              partition: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
              membersKey: { type: 'string', minLength: 1 },
            },
          },
        },
        nearExhaustionRatio: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.8 },
        portsPerAddress: { type: 'integer', minimum: 1, maximum: 65535, default: 64512 },
        interval: { ...durationSchema, default: '30s' },
      },
    },
    concurrency: { type: 'integer', minimum: 1, default: 4 },
    leaderLock: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        key: { type: 'string', default: 'consul-sidecars/f5-sync/leader' },
        ttl: { type: 'string', default: '15s' },
        lockDelay: { type: 'string', default: '15s' },
      },
    },
    metrics: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'integer', minimum: 0, maximum: 65535 } },
    },
    logLevel: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
  },
} as const;
