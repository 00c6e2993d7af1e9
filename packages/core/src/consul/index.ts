// core/consul: one validated reader of Consul's answers and one HTTP client (see packages/core/README.md).

export * from './payload';
export * from './health-status';
export * from './role';
export * from './health';
export * from './catalog';
export * from './kv';
export * from './agent';
export * from './session';
export * from './consul-error';
export * from './failure-tracker';
export * from './transport';
export * from './reads';
export * from './agent-api';
export * from './kv-api';
export * from './session-api';
export * from './client';
