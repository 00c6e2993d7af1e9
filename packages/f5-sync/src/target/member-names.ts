// Member names as BIG-IP spells them, the model's member identity: "addr:port", IPv6 "addr.port", a %routeDomain allowed.

import { isIP } from 'node:net';
import { CodedError } from '@consul-sidecars/core';

/** 4 or 6 for an IP address (a %routeDomain suffix allowed), 0 otherwise. */
export function ipFamily(address: string): 0 | 4 | 6 {
  const bare = address.replace(/%\d+$/, '');
  const family = isIP(bare);
  return family === 4 ? 4 : family === 6 ? 6 : 0;
}

/** The member name BIG-IP uses: "10.0.0.1:80", "2001:db8::1.80" (IPv6 takes a dot before the port). */
export function memberName(address: string, port: number): string {
  return ipFamily(address) === 6 ? `${address}.${port}` : `${address}:${port}`;
}

/** Splits "10.0.0.1:80" / "2001:db8::1.80" / "node1:80" into address and port; throws ERR_MEMBER_NAME otherwise. */
export function parseMemberName(name: string): { address: string; port: number } {
  const colons = (name.match(/:/g) ?? []).length;
  const separator = colons > 1 ? name.lastIndexOf('.') : name.lastIndexOf(':');
  const address = separator > 0 ? name.slice(0, separator) : '';
  const portText = separator > 0 ? name.slice(separator + 1) : '';
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!address || !Number.isInteger(port) || port > 65535) {
    throw new CodedError('ERR_MEMBER_NAME', `invalid pool member name "${name}" (want "<address>:<port>" or "<ipv6>.<port>")`, { name });
  }
  return { address, port };
}
