// Public API of @consul-sidecars/registrator: Docker containers -> Consul agent services, level-based.

export * from './container-inspect';
export * from './container-metadata';
export * from './registration';
export * from './service-meta';
export * from './service-checks';
export * from './service-definitions';
export * from './plan';
export * from './consul-http';
export * from './consul-registry';
export * from './docker-source';
export * from './host-ip';
export * from './roles';
export * from './metrics';
export * from './reconciler';
export * from './options';
export * from './daemon';
export { main, roleCommand, usage, version } from './cli';
