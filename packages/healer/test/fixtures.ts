// Builders of desired and live states for the planner's table tests.

import type { ContainerState, ServiceContainer } from '../src/backends/scaling-backend';
import { DEFAULT_POLICY, type DesiredState, type HealPolicy, type ServiceSpec } from '../src/desired/desired-state';
import type { InstanceHealth } from '../src/observe/consul-health';
import type { LiveState, ServiceLive } from '../src/observe/live-state';

export const NOW = 1_700_000_000_000;

export function spec(name: string, min: number, extra: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name,
    min,
    graceMs: 10_000,
    scale: { kind: 'compose', composeProject: 'proj', composeFile: '/srv/compose.yml', composeService: name },
    ...extra,
  };
}

export function desired(services: ServiceSpec[], policy: Partial<HealPolicy> = {}): DesiredState {
  return { services, policy: { ...DEFAULT_POLICY, backoffJitter: 0, ...policy }, hash: 'test' };
}

export function container(name: string, state: ContainerState = 'running', extra: Partial<ServiceContainer> = {}): ServiceContainer {
  const slot = Number(name.split('_').pop()) || 1;
  return { id: `${name}-id`.padEnd(64, '0'), name, slot, state, startedAtMs: NOW - 60_000, ...extra };
}

export function instance(containerName: string, status: InstanceHealth['Status'] = 'passing', extra: Partial<InstanceHealth> = {}): InstanceHealth {
  return { ID: `host:${containerName}:80`, Node: 'n1', Meta: {}, Status: status, FailingChecks: status === 'passing' ? [] : ['service:x'], ...extra };
}

/** A service whose containers are named `<svc>_<n>` with one instance each, from a compact spec string per container:
 *  "ok" running+passing, "crit" running+critical, "exit" exited (instance still passing: Consul lags), "new" started 1s ago, not registered,
 *  "unreg" running long, not registered, "maint" running, instance in maintenance. */
export function service(name: string, kinds: string[]): ServiceLive {
  const containers: ServiceContainer[] = [];
  const instances: InstanceHealth[] = [];
  kinds.forEach((kind, i) => {
    const cname = `${name}_${i + 1}`;
    if (kind === 'ok') {
      containers.push(container(cname));
      instances.push(instance(cname));
    } else if (kind === 'crit') {
      containers.push(container(cname));
      instances.push(instance(cname, 'critical'));
    } else if (kind === 'exit') {
      containers.push(container(cname, 'exited'));
      instances.push(instance(cname));
    } else if (kind === 'new') {
      containers.push(container(cname, 'running', { startedAtMs: NOW - 1000 }));
    } else if (kind === 'unreg') {
      containers.push(container(cname));
    } else if (kind === 'maint') {
      containers.push(container(cname));
      instances.push(instance(cname, 'critical', { Maintenance: 'node' }));
    } else if (kind === 'restarting') {
      containers.push(container(cname, 'restarting'));
      instances.push(instance(cname, 'critical'));
    } else {
      throw new Error(`unknown kind ${kind}`);
    }
  });
  return { service: name, containers, instances };
}

export function live(services: ServiceLive[], consulOk = true): LiveState {
  return { at: NOW, consulOk, ...(consulOk ? {} : { consulError: 'connection refused' }), services: Object.fromEntries(services.map((s) => [s.service, s])) };
}
