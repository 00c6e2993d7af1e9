// Public API of the healer: the daemon class, its pure planner, and the adapters it acts through.

export * from './desired-state';
export * from './docker-containers';
export * from './live-state';
export * from './assess';
export * from './plan';
export * from './compose-runner';
export * from './alert-hook';
export * from './metrics';
export * from './ops-endpoint';
export * from './triggers';
export * from './healer';
export { main, DEFAULT_OPS_PORT } from './cli';
