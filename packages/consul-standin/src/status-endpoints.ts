// /v1/status/*: the raft leader and peers. Consul serves these without ACL checks.

import { Agent } from './agent';
import { Route } from './router';

export function statusRoutes(agent: Agent): Route[] {
  return [
    { pattern: '/v1/status/leader', methods: ['GET'], handle: () => ({ json: agent.serverAddress }) },
    { pattern: '/v1/status/peers', methods: ['GET'], handle: () => ({ json: [agent.serverAddress] }) },
  ];
}
