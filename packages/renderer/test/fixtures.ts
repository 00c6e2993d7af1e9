// Shared test data builders (not a test file).

import type { ServiceInstance } from '../src/dependencies';

export function instance(id: string, port: number, extra: Partial<ServiceInstance> = {}): ServiceInstance {
  return { ID: id, Name: 'web', Node: 'n1', NodeAddress: '127.0.0.1', Address: '127.0.0.1', Port: port, Tags: [], Meta: {}, NodeMeta: {}, Weights: { Passing: 1, Warning: 1 }, Status: 'passing', Checks: [], ...extra };
}
