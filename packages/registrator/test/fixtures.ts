// Builders for container inspects and definition options used by the table tests.

import type { ContainerInspect } from '../src/observe/container-inspect';
import type { DefinitionOptions } from '../src/plan/service-definitions';

export const CONTAINER_ID = 'a'.repeat(64);

/** A running bridge-network container named "web" from image gliderlabs/foo:1 exposing 80/tcp on 0.0.0.0:32768. */
export function inspect(overrides: Partial<ContainerInspect> = {}): ContainerInspect {
  return {
    id: CONTAINER_ID,
    name: 'web',
    image: 'gliderlabs/foo:1',
    status: 'running',
    exitCode: 0,
    hasHealthcheck: false,
    env: [],
    labels: {},
    exposedPorts: ['80/tcp'],
    ports: { '80/tcp': [{ hostIp: '0.0.0.0', hostPort: '32768' }] },
    networkMode: 'default',
    ipAddress: '172.17.0.5',
    globalIPv6Address: '',
    networks: { bridge: { ipAddress: '172.17.0.5', globalIPv6Address: '' } },
    ...overrides,
  };
}

export function options(overrides: Partial<DefinitionOptions> = {}): DefinitionOptions {
  return {
    hostname: 'host1',
    hostIp: '10.0.0.1',
    internal: false,
    explicit: false,
    tags: [],
    ttlSeconds: 0,
    healthTtl: '90s',
    deregister: 'always',
    ...overrides,
  };
}
