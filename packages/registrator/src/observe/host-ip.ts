// The host address for services published on 0.0.0.0, without gliderlabs' trap of resolving the hostname to 127.0.1.1.

import { lookup } from 'node:dns/promises';
import os from 'node:os';

const BRIDGE_INTERFACE = /^(docker\d*|br-|veth|virbr|cni|flannel|cali|weave|lo)/;

/** First non-internal IPv4 address of an interface that is not a container bridge, or undefined. */
export function interfaceAddress(interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces()): string | undefined {
  for (const name of Object.keys(interfaces).sort()) {
    if (BRIDGE_INTERFACE.test(name)) continue;
    for (const info of interfaces[name] ?? []) {
      if (info.family === 'IPv4' && !info.internal) return info.address;
    }
  }
  return undefined;
}

/**
 * The hostname's address when it is a real one; a loopback answer (127.0.1.1 on Debian, #272/#402) or a failed
 * lookup falls back to the first non-bridge interface, then to 127.0.0.1. Pass -ip to be explicit.
 */
export async function detectHostIp(hostname: string): Promise<string> {
  try {
    const { address } = await lookup(hostname, { family: 4 });
    if (!address.startsWith('127.')) return address;
  } catch {
    // fall through
  }
  return interfaceAddress() ?? '127.0.0.1';
}
