// --dry-run: what would be written or pushed, printed instead of acted on.

import type { UpstreamPeer } from '../plan/upstream-peers';

export function dryRunWriteText(destination: string, reason: string, output: string): string {
  return `# renderer dry-run: would write ${destination} (${reason})\n${output}${output.endsWith('\n') ? '' : '\n'}`;
}

function peerText(peer: UpstreamPeer): string {
  return `${peer.address}:${peer.port}${peer.weight > 1 ? ` weight=${peer.weight}` : ''}${peer.backup ? ' backup' : ''}${peer.down ? ' down' : ''}`;
}

export function dryRunPushText(destination: string, peers: ReadonlyMap<string, UpstreamPeer[]>): string {
  const lines = [...peers].map(([name, list]) => `#   ${name}: ${list.map(peerText).join(', ') || '(none)'}`);
  return `# renderer dry-run: would push upstreams of ${destination}\n${lines.join('\n')}\n`;
}
