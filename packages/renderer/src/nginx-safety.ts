// What may reach an nginx (or keepalived) config unquoted: names, tags and addresses are checked here, once,
// as Consul data enters the renderer, so a hostile or sloppy registration cannot break the rendered syntax.

import { isIP } from 'node:net';
import { rendererError } from './errors';

/**
 * A service name usable as a domain, an upstream name and a keepalived word: letters, digits, dots, dashes,
 * underscores; starts and ends with a letter or digit. Dots are allowed (consul-template reads them as a tag
 * separator: hashicorp/consul-template#295, #354, #1205).
 */
const SAFE_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;
/** Tags may also hold `=`, `:`, `/`, `@`, `+` (role=master, version:1.2, team/web) but nothing nginx parses. */
const SAFE_TAG = /^[A-Za-z0-9._:=/@+-]{1,255}$/;
const SAFE_HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;
/** Characters that end or change an nginx token: whitespace, `;`, braces, quotes, `#` (comment), `$` (variable), `\`. */
const NGINX_SPECIAL = /[\s;{}"'#$\\]/;

export function isSafeServiceName(name: unknown): name is string {
  return typeof name === 'string' && SAFE_NAME.test(name);
}

export function isSafeTag(tag: unknown): tag is string {
  return typeof tag === 'string' && SAFE_TAG.test(tag);
}

/** An IPv4/IPv6 literal or a DNS name. */
export function isSafeAddress(address: unknown): address is string {
  return typeof address === 'string' && (isIP(address) !== 0 || SAFE_HOSTNAME.test(address));
}

export function isSafePort(port: unknown): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536;
}

/** `host:port`, with IPv6 literals in brackets as nginx's `server` and `proxy_pass` want them. */
export function hostPort(address: string, port: number): string {
  // Only an IPv6 literal has a colon: IPv4 addresses and hostnames skip isIP's regular expressions (once per
  // instance per render).
  return address.includes(':') && isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Throws (failing the render, which then writes nothing) when a value would break an unquoted nginx token. */
export function nginxToken(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  if (text === '' || NGINX_SPECIAL.test(text)) {
    throw rendererError('ERR_UNSAFE_VALUE', `value ${JSON.stringify(text)} cannot be written into an nginx config unquoted`, { value: text });
  }
  return text;
}

/** A double-quoted nginx string; `$` is rejected since nginx would expand it as a variable in many directives. */
export function nginxQuote(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  if (/[$\r\n\0]/.test(text)) {
    throw rendererError('ERR_UNSAFE_VALUE', `value ${JSON.stringify(text)} cannot be quoted safely for nginx`, { value: text });
  }
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** An upstream name derived from a safe service name (prefixed so it never collides with a real host name). */
export function upstreamName(service: string, prefix = 'consul_'): string {
  if (!isSafeServiceName(service)) throw rendererError('ERR_UNSAFE_NAME', `service name ${JSON.stringify(service)} is not usable in nginx`, { service });
  return `${prefix}${service}`;
}
