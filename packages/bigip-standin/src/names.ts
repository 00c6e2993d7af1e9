// BIG-IP object naming: full paths, the "~Partition~name" URL form, and "addr:port" member names.
import { isIP } from 'node:net';
import { framework } from './errors';

export const DEFAULT_PARTITION = 'Common';

export interface ObjectRef {
  partition: string;
  name: string;
}

export function fullPathOf(ref: ObjectRef): string {
  return `/${ref.partition}/${ref.name}`;
}

/** The URL path segment for an object: "/" of the full path becomes "~". */
export function urlSegmentOf(ref: ObjectRef): string {
  return `~${ref.partition}~${ref.name}`;
}

/** "~Common~web_pool" -> Common/web_pool; a bare "web_pool" means the Common partition, as on BIG-IP. */
export function parseUrlSegment(segment: string): ObjectRef {
  if (!segment.startsWith('~')) return { partition: DEFAULT_PARTITION, name: segment };
  const last = segment.lastIndexOf('~');
  return { partition: segment.slice(1, last), name: segment.slice(last + 1) };
}

/** "/Common/web_pool" or "web_pool" (in `defaultPartition`). */
export function parseFullPath(path: string, defaultPartition: string): ObjectRef {
  if (!path.startsWith('/')) return { partition: defaultPartition, name: path };
  const last = path.lastIndexOf('/');
  return { partition: path.slice(1, last), name: path.slice(last + 1) };
}

export interface MemberName {
  /** The node part: an IP address (maybe with %routeDomain) or a node name. */
  host: string;
  port: number;
}

/**
 * Splits a member name. IPv4 and node names use "host:port"; IPv6 uses "addr.port" because the
 * address itself is full of colons (what Ansible and terraform-provider-bigip send).
 */
export function parseMemberName(item: string, name: string): MemberName {
  const ipv6 = (name.match(/:/g) ?? []).length > 1;
  const separator = ipv6 ? name.lastIndexOf('.') : name.lastIndexOf(':');
  const host = separator > 0 ? name.slice(0, separator) : '';
  const portText = separator > 0 ? name.slice(separator + 1) : '';
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!host || !Number.isInteger(port) || port > 65535) {
    throw framework.invalidValue(item, 'name', name, ipv6 ? '"<ipv6>.<port>"' : '"<address>:<port>"');
  }
  return { host, port };
}

export function memberNameOf(host: string, port: number): string {
  return isIpAddress(host) === 6 ? `${host}.${port}` : `${host}:${port}`;
}

/** 4, 6, or 0 for "not an IP address"; a %routeDomain suffix is allowed. */
export function isIpAddress(host: string): 0 | 4 | 6 {
  const match = /^(.*?)(%\d+)?$/.exec(host);
  const family = isIP(match?.[1] ?? host);
  return family === 4 ? 4 : family === 6 ? 6 : 0;
}
