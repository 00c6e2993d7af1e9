// f5-sync: BIG-IP pools follow Consul's passing instances; role tags become priority groups.

export * from './config';
export * from './bigip-names';
export * from './icontrol-payloads';
export * from './icontrol-client';
export * from './rate-limiter';
export * from './desired-pools';
export * from './live-pools';
export * from './plan';
export * from './apply';
export * from './pool-sync';
export * from './metrics';
export * from './sync-loop';
export * from './f5-sync';
export { main, USAGE } from './cli';
