// Public API of @consul-sidecars/registrator: Docker containers -> Consul agent services, level-based.

export * from './errors';
// observe: Docker and the agent into plain values
export * from './observe/container-inspect';
export * from './observe/docker-events';
export * from './observe/docker-source';
export * from './observe/host-ip';
export * from './observe/container-observer';
export * from './observe/agent-view';
export * from './observe/agent-follower';
export * from './observe/role-watch';
// plan: pure
export * from './plan/container-metadata';
export * from './plan/registration';
export * from './plan/service-meta';
export * from './plan/service-checks';
export * from './plan/service-definitions';
export * from './plan/ownership';
export * from './plan/registrations';
export * from './plan/ttl-refresh';
export * from './plan/exit-deregistration';
export * from './plan/promotion';
// act: through the registry adapter
export * from './act/registry-adapter';
export * from './act/consul-agent-registry';
export * from './act/action-log';
export * from './act/actor';
export * from './act/role-store';
export * from './role-keys';
export * from './metrics';
export * from './reconciler';
export * from './options';
export * from './daemon';
export { main, roleCommand, runRegistratorCli, usage, version } from './cli';
