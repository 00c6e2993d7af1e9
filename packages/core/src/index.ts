// What every consul-sidecars daemon shares.

export * from './errors';
export * from './duration';
export * from './backoff';
export * from './wait-for';
export * from './flags';
export * from './cli';
export * from './config';
export * from './logger';
export * from './consul-client';
export * from './consul-query';
export * from './blocking-watcher';
export * from './leader-lock';
export * from './ops-server';
export * from './daemon-metrics';
export * from './shutdown';
export * from './error-codes';
export * from './consul';
export * from './docker';
export * from './concurrency';
export * from './leader-lock-backend';
export * from './crash-point';
export * from './same-json';
export * from './consul/service-change-feed';
export * from './consul/max-stale';
