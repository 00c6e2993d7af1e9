// f5-sync: BIG-IP pools follow Consul's passing instances; role tags become priority groups.

export * from './config';
export * from './error-codes';
export * from './observe/health-entries';
export * from './observe/consul-instances';
export * from './plan/desired-members';
export * from './plan/owner-mark';
export * from './plan/pool-plan';
export * from './target/pool-model';
export * from './target/member-names';
export * from './target/pool-target';
export * from './target/bigip/icontrol-paths';
export * from './target/bigip/icontrol-payloads';
export * from './target/bigip/icontrol-errors';
export * from './target/bigip/icontrol-client';
export * from './target/bigip/rate-limiter';
export * from './target/bigip/live-pools';
export * from './target/bigip/apply';
export * from './target/bigip/bigip-target';
export * from './pool-pass';
export * from './metrics';
export * from './sync-loop';
export * from './f5-sync';
export { main, USAGE } from './cli';
