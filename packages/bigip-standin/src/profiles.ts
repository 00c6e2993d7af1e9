// The profiles every BIG-IP ships (/mgmt/tm/ltm/profile/<type>), read-only: what virtual servers may name.
import { selfLink } from './bigip-version';
import { DEFAULT_PARTITION } from './names';

/** Built-in /Common profiles per type, as a 15.1 box lists them (the common ones). */
export const BUILTIN_PROFILES: Readonly<Record<string, readonly string[]>> = {
  tcp: ['tcp', 'f5-tcp-lan', 'f5-tcp-mobile', 'f5-tcp-progressive', 'f5-tcp-wan', 'tcp-lan-optimized', 'tcp-legacy', 'tcp-mobile-optimized', 'tcp-wan-optimized'],
  udp: ['udp', 'udp_decrement_ttl', 'udp_gtm_dns', 'udp_preserve_ttl'],
  sctp: ['sctp'],
  http: ['http', 'http-explicit', 'http-transparent'],
  http2: ['http2'],
  fastl4: ['fastL4', 'full-acceleration', 'security-fastL4'],
  fasthttp: ['fasthttp'],
  'client-ssl': ['clientssl', 'clientssl-insecure-compatible', 'clientssl-secure'],
  'server-ssl': ['serverssl', 'serverssl-insecure-compatible'],
  'one-connect': ['oneconnect'],
  diameter: ['diameter'],
  sip: ['sip'],
  dhcpv4: ['dhcpv4'],
  dhcpv6: ['dhcpv6'],
};

/** `GET /mgmt/tm/ltm/message-routing/sip/profile/session` (v14+): the SIP session profiles. */
export const SIP_SESSION_PROFILES = ['sipsession'];

function profileItem(collectionPath: string, kindPrefix: string, name: string): Record<string, unknown> {
  return {
    kind: `${kindPrefix}state`,
    name,
    partition: DEFAULT_PARTITION,
    fullPath: `/${DEFAULT_PARTITION}/${name}`,
    generation: 1,
    selfLink: selfLink(`${collectionPath}/~${DEFAULT_PARTITION}~${name}`),
    appService: 'none',
    defaultsFrom: 'none',
  };
}

/** The collection body for a profile type, or undefined for a type the stand-in does not know. */
export function profileCollection(type: string): Record<string, unknown> | undefined {
  const names = BUILTIN_PROFILES[type];
  if (!names) return undefined;
  const path = `/mgmt/tm/ltm/profile/${type}`;
  const kindPrefix = `tm:ltm:profile:${type}:${type}`;
  return { kind: `${kindPrefix}collectionstate`, selfLink: selfLink(path), items: names.map((name) => profileItem(path, kindPrefix, name)) };
}

export function sipSessionCollection(): Record<string, unknown> {
  const path = '/mgmt/tm/ltm/message-routing/sip/profile/session';
  const kindPrefix = 'tm:ltm:message-routing:sip:profile:session:session';
  return { kind: `${kindPrefix}collectionstate`, selfLink: selfLink(path), items: SIP_SESSION_PROFILES.map((name) => profileItem(path, kindPrefix, name)) };
}

/** The type of a built-in profile by full path ("/Common/http" -> "http"), or undefined. */
export function profileType(fullPath: string): string | undefined {
  const match = /^\/Common\/([^/]+)$/.exec(fullPath);
  if (!match) return undefined;
  if (SIP_SESSION_PROFILES.includes(match[1]!)) return 'sipsession';
  return Object.keys(BUILTIN_PROFILES).find((type) => BUILTIN_PROFILES[type]!.includes(match[1]!));
}
