// ACL enforcement with a single management token: the right token passes everything; no token is
// the anonymous token (Consul's "Permission denied ..." text); any other token is unknown ("ACL not found").

import { createHash } from 'node:crypto';
import { forbidden } from './errors';

export interface AclRule {
  resource: 'agent' | 'node' | 'service' | 'key' | 'session' | 'operator';
  level: 'read' | 'write';
  /** The resource name Consul names in its message, when there is one. */
  name?: string;
}

/** ?token=, X-Consul-Token, or Authorization: Bearer, in Consul's order of precedence. */
export function requestToken(headers: Record<string, string | string[] | undefined>, query: URLSearchParams): string {
  const fromQuery = query.get('token');
  if (fromQuery) return fromQuery;
  const header = headers['x-consul-token'];
  if (typeof header === 'string' && header !== '') return header;
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const parts = authorization.split(' ');
    if (parts.length > 1 && parts[0]?.toLowerCase() === 'bearer') return parts.slice(1).join(' ').trim().split(' ')[0] ?? '';
  }
  return '';
}

export function authorize(managementToken: string | undefined, token: string, rule: AclRule): void {
  if (!managementToken || token === managementToken) return;
  if (token !== '') throw forbidden('ACL not found');
  const on = rule.name !== undefined ? ` on "${rule.name}"` : '';
  throw forbidden(
    `Permission denied: anonymous token lacks permission '${rule.resource}:${rule.level}'${on}. ` +
      'The anonymous token is used implicitly when a request does not specify a token.',
  );
}

/**
 * Whose view of the data an answer is, for answers shared between requests: with ACLs off every request sees all
 * of it; with them on, each token its own (hashed, so no secret is kept), as a token's rights decide what it may read.
 */
export function aclView(managementToken: string | undefined, token: string): string {
  if (!managementToken) return '*';
  return `token:${createHash('sha256').update(token).digest('base64url')}`;
}
