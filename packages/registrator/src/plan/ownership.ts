// Pure: which agent services registrator owns (its Meta marker), and which the original gliderlabs registrator made here.

import type { AgentService } from '../observe/agent-view';
import { META_NODE } from './registration';

/** gliderlabs' ID pattern `<host>:<container>:<port>[:udp]`, as its -cleanup matches it. */
const LEGACY_ID = /^(.+?):([a-zA-Z0-9][a-zA-Z0-9_.-]+):[0-9]+(?::udp)?$/;

export function isOwned(service: AgentService, node: string): boolean {
  return service.meta[META_NODE] === node;
}

/** A service the original registrator made on this host (no marker, its ID pattern, our host name). */
export function isLegacy(service: AgentService, hostname: string | undefined): boolean {
  if (!hostname || service.meta[META_NODE] !== undefined) return false;
  const match = LEGACY_ID.exec(service.id);
  return match !== null && match[1] === hostname;
}
